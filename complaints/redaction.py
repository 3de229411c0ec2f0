"""Personal data out of free text: the citizen's name, phone, e-mail and ID number
masked wherever a page, an answer or a message shows text to someone who may
not see them (public pages, Open311, department users)."""
from __future__ import annotations

import re

from workflow.sms import mask_phone

MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_name(name: str) -> str:
    return (name[0] + "*" * (len(name) - 1)) if name else ""


def mask_id_number(value: str) -> str:
    """5101**********1234: the region and the last four, not the birth date."""
    return (value[:4] + "*" * (len(value) - 8) + value[-4:]) if len(value) > 8 else "*" * len(value)


def mask_email(value: str) -> str:
    return (value[0] + "***@" + value.split("@", 1)[1]) if "@" in value else ("***" if value else "")


def mask_address(value: str) -> str:
    return (value[:3] + "***") if value else ""


def redact(text: str, complaint=None, *, names: bool = True) -> str:
    """Free text made fit to publish: the citizen's own name, phone, e-mail and ID
    number masked, and anything that looks like a phone, ID number or e-mail too.
    With `names=False` (the hotline) the citizen's name stays, the numbers do not."""
    text = text or ""
    if complaint is not None:
        for value, mask in (
            (complaint.citizen_id_number, "*" * 18),
            (complaint.citizen_email, "***"),
            (complaint.citizen_phone, mask_phone(complaint.citizen_phone or "")),
        ):
            if value and len(value) >= 5:
                text = text.replace(value, mask)
        name = (complaint.citizen_name or "").strip()
        if names and len(name) >= 2:
            text = text.replace(name, mask_name(name))
    text = EMAIL_RE.sub("***", text)
    text = ID_NUMBER_RE.sub("*" * 18, text)
    text = MOBILE_RE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())[-11:]), text)
    text = LANDLINE_RE.sub(lambda m: m.group()[:4] + "****", text)
    return text


