"""Encrypts the citizen's details of the complaints already stored (written in clear
before 0004) and fills the phone's blind index, with the configured
FIELD_ENCRYPTION_KEY. Raw SQL, in batches: the model's fields would try to
decrypt the plaintext. Values already encrypted are left as they are, so the
migration can be run again after an interruption. Reversible (decrypts).

On PostgreSQL the old row versions stay in the table's files until they are
overwritten: run ``VACUUM FULL complaints_complaint, complaints_historicalcomplaint``
after migrating, and treat backups made before as holding plaintext
(docs/security.md, "Personal data")."""
from django.db import migrations

FIELDS = ("citizen_phone", "citizen_id_number", "citizen_email", "citizen_address")
BATCH = 1000


def _rows(connection, table: str, pk: str, columns: list[str]):
    qn = connection.ops.quote_name
    last = None
    while True:
        where = f" WHERE {qn(pk)} > %s" if last is not None else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} FROM {qn(table)}{where} ORDER BY {qn(pk)} LIMIT {BATCH}",
                [last] if last is not None else [],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _update(connection, table: str, pk: str, columns: list[str], values: list[tuple]) -> None:
    if not values:
        return
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {qn(table)} SET {assignments} WHERE {qn(pk)} = %s", values)


def encrypt(apps, schema_editor):
    from workflow import crypto

    Complaint = apps.get_model("complaints", "Complaint")
    table, pk, connection = Complaint._meta.db_table, Complaint._meta.pk.column, schema_editor.connection
    columns = [*FIELDS, "citizen_phone_index"]
    for batch in _rows(connection, table, pk, list(FIELDS)):
        changed = []
        for pk_value, *values in batch:
            if not any(v and not crypto.is_encrypted(v) for v in values):
                continue
            plain = [crypto.decrypt(v, aad=name) if v and crypto.is_encrypted(v) else (v or "") for name, v in zip(FIELDS, values)]
            stored = [crypto.encrypt(v, aad=name) if v else "" for name, v in zip(FIELDS, plain)]
            changed.append((*stored, crypto.blind_index(plain[0], kind="phone"), pk_value))
        _update(connection, table, pk, columns, changed)


def decrypt(apps, schema_editor):
    from workflow import crypto

    Complaint = apps.get_model("complaints", "Complaint")
    table, pk, connection = Complaint._meta.db_table, Complaint._meta.pk.column, schema_editor.connection
    for batch in _rows(connection, table, pk, list(FIELDS)):
        changed = [
            (*[crypto.decrypt(v, aad=name) if v and crypto.is_encrypted(v) else (v or "") for name, v in zip(FIELDS, values)], pk_value)
            for pk_value, *values in batch if any(v and crypto.is_encrypted(v) for v in values)
        ]
        _update(connection, table, pk, list(FIELDS), changed)


class Migration(migrations.Migration):

    dependencies = [("complaints", "0004_personal_data_encrypted")]

    operations = [migrations.RunPython(encrypt, decrypt, elidable=False)]
