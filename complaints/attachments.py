"""Checking a citizen's upload by its content, not by its name.

Accepted: JPEG, PNG, GIF, WebP images (decoded by Pillow, so a renamed
executable or a truncated image is refused) and PDF (signature and an
end-of-file marker). Written here rather than with python-magic because the
list is short and libmagic would be one more system package; Pillow is
already installed for WeasyPrint.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "GIF": ("image/gif", ".gif"), "WEBP": ("image/webp", ".webp")}


@dataclass(frozen=True)
class CheckedUpload:
    file: object
    name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def _read(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def check_upload(upload) -> CheckedUpload:
    name = (getattr(upload, "name", "") or "file")[-128:]
    limit = settings.COMPLAINT_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(_("附件“%(name)s”超过%(mb)s MB。") % {"name": name, "mb": round(limit / 1024 / 1024, 1)})
    data = _read(upload)
    if not data:
        raise ValidationError(_("附件“%(name)s”是空文件。") % {"name": name})
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError(_("附件“%(name)s”不是完整的PDF文件。") % {"name": name})
        content_type, extension = "application/pdf", ".pdf"
    else:
        content_type, extension = _image_type(data, name)
    return CheckedUpload(upload, name, content_type, extension, len(data), hashlib.sha256(data).hexdigest())


def _image_type(data: bytes, name: str) -> tuple[str, str]:
    import io

    from PIL import Image, UnidentifiedImageError

    refused = ValidationError(_("附件“%(name)s”不是允许的类型：只接受图片（JPG、PNG、GIF、WebP）和PDF文件。") % {"name": name})
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused
    if fmt not in IMAGE_FORMATS:
        raise refused
    return IMAGE_FORMATS[fmt]


def check_uploads(uploads) -> list[CheckedUpload]:
    uploads = [u for u in uploads or [] if u]
    most = settings.COMPLAINT_ATTACHMENT_MAX_FILES
    if len(uploads) > most:
        raise ValidationError({"attachments": _("最多上传%(n)d个附件。") % {"n": most}})
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return checked
