"""Model fields for personal data: stored encrypted (SM4), compared through a blind index.

``EncryptedCharField`` reads and writes plain strings in Python; the column
holds ``workflow.crypto`` ciphertext (a ``text`` column: ciphertext is longer
than the plaintext; ``max_length`` is the plaintext's, checked by forms and
``full_clean``). The empty string stays empty, so "has a phone" is still
``.exclude(field="")``; any other lookup is refused (a random nonce makes
equal plaintexts differ): compare through a ``BlindIndexField``.

``BlindIndexField(source=..., kind="phone")`` holds the HMAC-SM3 of its
source's normalised value, set whenever the row is saved (``pre_save``, also
in ``bulk_create``); a ``save(update_fields=...)`` that changes the source
must name the index too. Look up with ``crypto.blind_index_candidates``.
"""
from __future__ import annotations

from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull

from . import crypto


class _EmptyOnlyExact(Exact):
    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: it can only be compared with \"\"; "
                "compare its blind index (workflow.crypto.blind_index_candidates) instead"
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.CharField):
    description = "Text stored as SM4 ciphertext (workflow.crypto)"

    def get_internal_type(self) -> str:
        return "TextField"

    def _aad(self) -> str:
        return self.name

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, aad=self._aad())

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, aad=self._aad())

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, name):
        return None


class BlindIndexField(models.CharField):
    description = "Keyed hash (HMAC-SM3) of another field's normalised value (workflow.crypto)"

    def __init__(self, *args, source: str = "", kind: str = "phone", **kwargs):
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", crypto.INDEX_HEX)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"], kwargs["kind"] = self.source, self.kind
        for key, default in (("max_length", crypto.INDEX_HEX), ("blank", True), ("editable", False), ("default", "")):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = crypto.blind_index(getattr(model_instance, self.source) or "", kind=self.kind)
        setattr(model_instance, self.attname, value)
        return value


@checks.register(checks.Tags.security)
def personal_data_encryption_check(app_configs=None, **kwargs):
    """At start (and `manage.py check`): SM4 and SM3 offered by this OpenSSL, and a usable key."""
    if not crypto.sm4_available():
        return [checks.Critical("SM4/SM3 are not available in the OpenSSL under `cryptography`: personal data cannot be encrypted",
                                hint="Install the pinned cryptography wheel (requirements.txt).", id="workflow.E201")]
    try:
        crypto.keyring()
    except ImproperlyConfigured as exc:
        return [checks.Critical(str(exc), hint="Set FIELD_ENCRYPTION_KEY (docs/security.md, \"Personal data\").", id="workflow.E202")]
    return []
