"""Field-level encryption of personal data (SM4) and keyed blind indexes (HMAC-SM3).

A citizen's phone number, ID number, e-mail and contact address are stored
as ciphertext (workflow.fields.EncryptedCharField); where the application
must compare a value (the same phone: duplicates, throttling, the hotline's
search) it compares a keyed hash of the normalised value, the blind index
(workflow.fields.BlindIndexField), never the plaintext.

The stored text is ``e1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``:

* ``e1``: the format: SM4 (GB/T 32907-2016) in CTR mode with a random 16-byte
  initial counter block, then HMAC-SM3 (GB/T 32905-2016) over the format,
  key id, the field's name (so a value cannot be moved to another column),
  nonce and ciphertext (encrypt-then-MAC; the 32-byte tag is checked in
  constant time before anything is decrypted).
* ``<key id>``: which master key encrypted it, so that keys can be rotated
  (``manage.py reencrypt_personal_data``).

Why CTR + HMAC-SM3 rather than an AEAD mode: SM4-GCM depends on how the
OpenSSL under `cryptography` was built (present in some wheels, absent in
others), while SM4 and SM3 themselves are what the GM/T 0054 assessment (密评)
asks for; HMAC-SM3 is the integrity mechanism it expects, and the same
primitive gives the blind index.

Keys. FIELD_ENCRYPTION_KEY is a 128-bit master key (32 hex digits or
base64 of 16 bytes) from the environment, never in the repository; its id is
FIELD_ENCRYPTION_KEY_ID. Older keys that must still decrypt during a rotation
are in FIELD_ENCRYPTION_OLD_KEYS (``id:key`` items). From each master key
three keys are derived with HMAC-SM3 and distinct labels: the SM4 key, the
MAC key and the blind-index key, so that no key serves two purposes.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hmac as std_hmac
import os
import re
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

FORMAT = "e1"
NONCE_BYTES = 16
TAG_BYTES = 32
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
TOKEN_RE = re.compile(r"^e1:([A-Za-z0-9_-]{1,16}):([A-Za-z0-9_-]+)$")


class DecryptionError(ValueError):
    """A stored value that is not our ciphertext, was encrypted with a key we do not
    have, or was changed (its integrity tag does not match). Never a silent plaintext."""


def parse_key(value: str, *, name: str = "FIELD_ENCRYPTION_KEY") -> bytes:
    """A 128-bit key written as 32 hex digits or as base64 (standard or URL-safe)."""
    text = (value or "").strip()
    if not text:
        raise ImproperlyConfigured(f"Set the {name} environment variable (128-bit key: 32 hex digits or base64 of 16 bytes)")
    if re.fullmatch(r"[0-9A-Fa-f]{32}", text):
        return binascii.unhexlify(text)
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise ImproperlyConfigured(f"{name} must be a 128-bit key: 32 hex digits or base64 of exactly 16 bytes")
    return raw


def parse_old_keys(items) -> dict[str, bytes]:
    """FIELD_ENCRYPTION_OLD_KEYS: ``id:key`` items (a list, or one comma-separated string)."""
    if isinstance(items, str):
        items = [i for i in items.split(",") if i.strip()]
    keys = {}
    for item in items or []:
        kid, sep, key = item.strip().partition(":")
        if not sep or not KEY_ID_RE.match(kid):
            raise ImproperlyConfigured("FIELD_ENCRYPTION_OLD_KEYS items are id:key (id of letters, digits, - and _)")
        keys[kid] = parse_key(key, name=f"FIELD_ENCRYPTION_OLD_KEYS[{kid}]")
    return keys


def _hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


@dataclass(frozen=True)
class DerivedKeys:
    key_id: str
    enc: bytes    # SM4, 16 bytes
    mac: bytes    # HMAC-SM3, 32 bytes
    index: bytes  # the blind index's HMAC-SM3 key, 32 bytes

    @classmethod
    def derive(cls, key_id: str, master: bytes) -> DerivedKeys:
        return cls(
            key_id=key_id,
            enc=_hmac_sm3(master, b"field-encryption/sm4/v1")[:16],
            mac=_hmac_sm3(master, b"field-encryption/hmac-sm3/v1"),
            index=_hmac_sm3(master, b"blind-index/hmac-sm3/v1"),
        )


@dataclass(frozen=True)
class Keyring:
    current: DerivedKeys
    by_id: dict

    def get(self, key_id: str) -> DerivedKeys:
        try:
            return self.by_id[key_id]
        except KeyError:
            raise DecryptionError(f"no key with id {key_id!r} (FIELD_ENCRYPTION_KEY_ID / FIELD_ENCRYPTION_OLD_KEYS)") from None


@functools.lru_cache(maxsize=8)
def _keyring(current_id: str, current: str, old: tuple) -> Keyring:
    if not KEY_ID_RE.match(current_id or ""):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY_ID must be 1-16 letters, digits, - or _")
    keys = {kid: DerivedKeys.derive(kid, master) for kid, master in parse_old_keys(list(old)).items()}
    keys[current_id] = DerivedKeys.derive(current_id, parse_key(current))
    return Keyring(current=keys[current_id], by_id=keys)


def keyring() -> Keyring:
    """The configured keys (read from settings each call, derived once per configuration)."""
    from django.conf import settings

    old = getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", ()) or ()
    if isinstance(old, str):
        old = [i for i in old.split(",") if i.strip()]
    return _keyring(getattr(settings, "FIELD_ENCRYPTION_KEY_ID", "k1"), getattr(settings, "FIELD_ENCRYPTION_KEY", ""), tuple(old))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac_input(key_id: str, aad: str, nonce: bytes, ciphertext: bytes) -> bytes:
    return f"{FORMAT}:{key_id}:{aad}".encode() + b"\x00" + nonce + ciphertext


def _sm4_ctr(key: bytes, nonce: bytes, data: bytes) -> bytes:
    cipher = Cipher(algorithms.SM4(key), modes.CTR(nonce)).encryptor()
    return cipher.update(data) + cipher.finalize()


def encrypt(plaintext: str, *, aad: str = "", keys: DerivedKeys | None = None) -> str:
    """The stored text of `plaintext`, with the current key (or `keys`)."""
    keys = keys or keyring().current
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = _sm4_ctr(keys.enc, nonce, plaintext.encode("utf-8"))
    tag = _hmac_sm3(keys.mac, _mac_input(keys.key_id, aad, nonce, ciphertext))
    return f"{FORMAT}:{keys.key_id}:{_b64e(nonce + ciphertext + tag)}"


def is_encrypted(value) -> bool:
    return isinstance(value, str) and bool(TOKEN_RE.match(value))


def key_id_of(value: str) -> str | None:
    match = TOKEN_RE.match(value or "")
    return match.group(1) if match else None


def decrypt(token: str, *, aad: str = "") -> str:
    """The plaintext of a stored text; DecryptionError for anything that is not an
    untouched ciphertext of ours with a key we have."""
    match = TOKEN_RE.match(token or "")
    if not match:
        raise DecryptionError("not an encrypted value (plaintext or a foreign format in an encrypted column)")
    key_id, body = match.groups()
    keys = keyring().get(key_id)
    try:
        raw = _b64d(body)
    except (binascii.Error, ValueError):
        raise DecryptionError("damaged ciphertext") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("damaged ciphertext")
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    expected = _hmac_sm3(keys.mac, _mac_input(key_id, aad, nonce, ciphertext))
    if not std_hmac.compare_digest(tag, expected):
        raise DecryptionError("integrity check failed: the value was changed, or encrypted with another key of this id")
    try:
        return _sm4_ctr(keys.enc, nonce, ciphertext).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("damaged ciphertext") from None


# --- blind indexes -----------------------------------------------------------------------------
def normalise_phone(value: str) -> str:
    """The digits of a phone number, without China's country code: `+86 138-0000-0001`,
    `008613800000001` and `13800000001` are one number."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11 and digits[len(prefix)] == "1":
            return digits[len(prefix):]
    return digits


def normalise_text(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().upper()


NORMALISERS = {"phone": normalise_phone, "text": normalise_text}
INDEX_HEX = 32  # 128 bits of HMAC-SM3: no collisions in practice, half the column


def blind_index(value: str, *, kind: str = "phone", keys: DerivedKeys | None = None) -> str:
    """The keyed hash a column of kind `kind` is compared by ("" for no value)."""
    normalised = NORMALISERS[kind](value)
    if not normalised:
        return ""
    keys = keys or keyring().current
    return _hmac_sm3(keys.index, f"{kind}:".encode() + normalised.encode("utf-8", "surrogatepass")).hex()[:INDEX_HEX]


def blind_index_candidates(value: str, *, kind: str = "phone") -> list[str]:
    """The value's blind index under every configured key, current first: a lookup
    still finds rows written before a rotation until reencrypt_personal_data ran."""
    ring = keyring()
    found = [blind_index(value, kind=kind, keys=ring.current)]
    for keys in ring.by_id.values():
        if keys is not ring.current:
            found.append(blind_index(value, kind=kind, keys=keys))
    return [f for f in dict.fromkeys(found) if f]


def keyed_digest(value: str, *, purpose: str) -> str:
    """A keyed hash for names that must not carry personal data (cache keys)."""
    return _hmac_sm3(keyring().current.index, f"{purpose}:".encode() + (value or "").encode("utf-8", "surrogatepass")).hex()[:INDEX_HEX]


def sm4_available() -> bool:
    try:
        _sm4_ctr(b"\0" * 16, b"\0" * 16, b"x")
        _hmac_sm3(b"k", b"x")
    except Exception:  # UnsupportedAlgorithm from an OpenSSL built without SM4/SM3
        return False
    return True
