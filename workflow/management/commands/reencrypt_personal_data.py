"""Re-encrypts personal data with the current key (key rotation, docs/security.md).

Every model field that is a workflow.fields.EncryptedCharField is read raw;
a row holding any value under another key id (one of FIELD_ENCRYPTION_OLD_KEYS)
is decrypted, encrypted again under FIELD_ENCRYPTION_KEY / _KEY_ID, and its
blind indexes are computed again with the current key, in batches, each in
its own transaction. A row changed meanwhile is skipped (the UPDATE checks the
old ciphertext) and reported: run the command again. ``--check`` only counts.
"""
from __future__ import annotations

from collections import Counter

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from workflow import crypto
from workflow.fields import BlindIndexField, EncryptedCharField


def encrypted_models():
    """(model, [encrypted fields], [blind index fields]) of every installed model that has any."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.local_fields if isinstance(f, EncryptedCharField)]
        if fields:
            indexes = [f for f in model._meta.local_fields if isinstance(f, BlindIndexField)]
            yield model, fields, indexes


class Command(BaseCommand):
    help = "Re-encrypt personal data (phones, ID numbers…) with the current FIELD_ENCRYPTION_KEY after a key rotation."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only count the values under each key id; change nothing")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, check: bool = False, batch_size: int = 500, **options):
        ring = crypto.keyring()
        current = ring.current.key_id
        left_total = 0
        for model, fields, indexes in encrypted_models():
            label = model._meta.label
            counts, done, skipped, stale_rows = Counter(), 0, 0, 0
            for batch in self._batches(model, fields, batch_size):
                stale = []
                for pk, *values in batch:
                    ids = {crypto.key_id_of(v) for v in values if v}
                    counts.update(i or "(not encrypted)" for i in ids)
                    if ids - {current}:
                        stale.append((pk, values))
                stale_rows += len(stale)
                if stale and not check:
                    d, s = self._reencrypt(model, fields, indexes, stale, ring)
                    done, skipped = done + d, skipped + s
            left = stale_rows - (0 if check else done)
            left_total += left
            summary = ", ".join(f"{key_id}: {n}" for key_id, n in sorted(counts.items())) or "no values"
            if check:
                self.stdout.write(f"{label}: rows with values under each key id: {summary} (current: {current})")
            else:
                self.stdout.write(f"{label}: {done} rows re-encrypted under {current}; {skipped} changed meanwhile (run again)" if skipped
                                  else f"{label}: {done} rows re-encrypted under {current}")
        if left_total and not check:
            raise CommandError(f"{left_total} rows still hold values under other keys: run the command again")
        if not check:
            self.stdout.write(self.style.SUCCESS(f"Nothing left under other keys than {current}: the old keys can be removed from FIELD_ENCRYPTION_OLD_KEYS."))

    def _batches(self, model, fields, size):
        qn = connection.ops.quote_name
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        columns = ", ".join(qn(f.column) for f in fields)
        last = None
        while True:
            with connection.cursor() as cursor:
                if last is None:
                    cursor.execute(f"SELECT {pk}, {columns} FROM {table} ORDER BY {pk} LIMIT %s", [size])
                else:
                    cursor.execute(f"SELECT {pk}, {columns} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [last, size])
                rows = cursor.fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def _reencrypt(self, model, fields, indexes, stale, ring) -> tuple[int, int]:
        qn = connection.ops.quote_name
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        names = [f.name for f in fields]
        targets = [*fields, *indexes]
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in targets)
        unchanged = " AND ".join(f"COALESCE({qn(f.column)}, '') = %s" for f in fields)
        done = skipped = 0
        with transaction.atomic():
            for pk_value, values in stale:
                plain = dict(zip(names, (crypto.decrypt(v, aad=f.name) if v else "" for f, v in zip(fields, values))))
                stored = [crypto.encrypt(plain[f.name], aad=f.name, keys=ring.current) if plain[f.name] else "" for f in fields]
                index_values = [crypto.blind_index(plain.get(f.source, ""), kind=f.kind, keys=ring.current) for f in indexes]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {pk} = %s AND {unchanged}",
                        [*stored, *index_values, pk_value, *[v or "" for v in values]],
                    )
                    if cursor.rowcount == 1:
                        done += 1
                    else:
                        skipped += 1
        return done, skipped
