"""The audit trail's hash chain: SM3 over a canonical serialisation of a row.

Pure functions, no database: workflow.audit (append, verify, purge) and the
migration that chains the rows written before the chain existed use them, so
a row hashed today hashes the same in every later release. Changing anything
here changes every hash: add a new VERSION instead (docs/decisions/0007-audit-chain.md).

SM3 (GB/T 32905-2016) comes from OpenSSL through `cryptography`.
"""
from __future__ import annotations

import datetime as dt
import json

from cryptography.hazmat.primitives import hashes

VERSION = 1
GENESIS = "0" * 64  # the prev_hash of the first row ever written

# The fields a row's hash covers, besides prev_hash (in this order in the docs; the JSON sorts keys).
FIELDS = (
    "sequence", "created_at", "kind", "username", "user_id", "ip_address", "user_agent",
    "object_type", "object_id", "object_repr", "detail",
)


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def canonical_json(value) -> str:
    """JSON with sorted keys, no spaces, non-ASCII kept: one text for one value."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def canonical_detail(detail: dict | None) -> dict:
    """The detail as it will read back from the database (keys as strings, tuples as lists):
    stored in this form, so what is hashed at write time is what verify reads."""
    return json.loads(canonical_json(detail or {}))


def canonical_ip(value) -> str | None:
    """An address as Django stores it (IPv6 compressed the way Django's field does, IPv4 as is),
    whatever the database hands back (PostgreSQL's inet)."""
    if not value:
        return None
    text = str(value)
    if ":" in text:
        from django.utils.ipv6 import clean_ipv6_address

        return clean_ipv6_address(text)
    return text


def canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def serialise(row: dict, prev_hash: str) -> bytes:
    """The bytes hashed for a row: `row` has FIELDS (values as stored), plus prev_hash."""
    payload = {
        "v": VERSION,
        "sequence": int(row["sequence"]),
        "created_at": canonical_time(row["created_at"]),
        "kind": row["kind"] or "",
        "username": row["username"] or "",
        "user_id": row["user_id"],
        "ip_address": canonical_ip(row["ip_address"]),
        "user_agent": row["user_agent"] or "",
        "object_type": row["object_type"] or "",
        "object_id": row["object_id"] or "",
        "object_repr": row["object_repr"] or "",
        "detail": row["detail"] or {},
        "prev_hash": prev_hash,
    }
    return canonical_json(payload).encode("utf-8")


def row_hash(row: dict, prev_hash: str) -> str:
    return sm3_hex(serialise(row, prev_hash))
