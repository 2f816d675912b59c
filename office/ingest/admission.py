"""Validation at the door: an opened report must be one of the office's own forms, filled in
by that form's rules, within the office's size caps, before anything of it is stored.

A signed envelope only proves who sent it, not that what it carries is sane: an enrolled
but hostile phone could otherwise push any form id, unknown fields, megabytes of text
(each word of which the indexer would hash) or a 4 GiB "photo". The phone validates the
same form before sealing (fieldapp finalize), so an honest phone never meets these
refusals; each one is a typed per-item rejection, never a 5xx, and nothing is stored.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import forms
from forms import ATTACHMENT_TYPES
from core import localtime
from core.errors import FormError
from sync import envelope as env

from .common import MAX_ATTACHMENT, Rejected

MAX_TEXT_CHARS = 4000          # any one text answer, whatever a form version allows
MAX_ANSWERS_BYTES = 64 * 1024  # the answers of one report as JSON (a full report is ~1-2 KB)
MAX_REASON = 300               # the reason sent back names fields; keep it short
# json.dumps(answers, ensure_ascii=False) with its encoder built once: dumps builds a new one
# for every call that is not all defaults (~2 µs of every report admitted)
_AS_TEXT = json.JSONEncoder(ensure_ascii=False).encode


@lru_cache(maxsize=64)
def load_form(form_id: str, version: int) -> forms.Form:
    """A shipped form version, looked up once per (id, version) (forms.load checks the name
    and finds the file for every call); an unknown one raises every time, never cached."""
    try:
        return forms.load(form_id, version)
    except (FormError, KeyError, ValueError, TypeError):
        raise Rejected("form_unknown", f"this office does not know form {form_id[:64]!r} "
                                       f"version {version}") from None


@lru_cache(maxsize=64)
def _attachment_fields(form: forms.Form) -> tuple[str, ...]:
    """The photo/voice fields of a form version (top-level, where attachments are asked),
    listed once per version rather than looked for among every field of every report."""
    return tuple(f.name for f in form.fields if f.type in ATTACHMENT_TYPES)


def _too_long(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_TEXT_CHARS
    if isinstance(value, list):
        return any(_too_long(v) for v in value)
    if isinstance(value, dict):
        return any(_too_long(v) for v in value.values())
    return False


def admit(header: env.Header, payload: Any) -> tuple[forms.Form, dict]:
    """(form, answers) of an acceptable report; raises Rejected with a stable code otherwise.

    Codes: form_unknown, answers_invalid, too_large, attachments_mismatch.
    """
    for a in header.attachments:
        if a.size > MAX_ATTACHMENT:
            raise Rejected("too_large", f"attachment {a.att_id} declares {a.size} bytes; "
                                        f"the office takes at most {MAX_ATTACHMENT}")
    form = load_form(header.form_id, header.form_version)
    answers = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(answers, dict):
        raise Rejected("answers_invalid", "the report carries no answers object")
    try:
        text = _AS_TEXT(answers)
    except (TypeError, ValueError):                # NaN is allowed by json; keys are strings
        raise Rejected("answers_invalid", "the answers are not plain JSON") from None
    size = len(text.encode())
    if size > MAX_ANSWERS_BYTES:
        raise Rejected("too_large", f"answers are {size} bytes; at most {MAX_ANSWERS_BYTES}")
    # every text is written whole (quoted) into `text`: answers of at most MAX_TEXT_CHARS + 2
    # characters in all hold no text over the cap, which spares a real report (~1-2 KB) the walk
    long = (sorted(str(k)[:40] for k, v in answers.items() if _too_long(v))
            if len(text) > MAX_TEXT_CHARS + 2 else [])
    if long:
        raise Rejected("too_large", f"answer over {MAX_TEXT_CHARS} characters: {', '.join(long[:5])}")
    typed_in = payload.get("zone")
    # "not in the future" on the clock she typed on (a WIT phone is two hours ahead of a WIB office)
    now = localtime.wall_clock(typed_in) if isinstance(typed_in, str) and typed_in in localtime.ZONES else None
    try:
        # one walk: the answers checked and cleaned together (what validate then clean give)
        errors, clean = form.validate_clean(answers, "en", now)
    except (TypeError, ValueError, KeyError, RecursionError):
        raise Rejected("answers_invalid", "the answers cannot be checked against the form") from None
    if errors or clean is None:
        listed = "; ".join(f"{str(k)[:40]}: {v}" for k, v in sorted(errors.items())[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        raise Rejected("answers_invalid", (listed + more)[:MAX_REASON])
    photos = {str(a).lower() for name in _attachment_fields(form) for a in clean.get(name, [])}
    manifest = {a.att_id for a in header.attachments}
    if photos != manifest:
        raise Rejected("attachments_mismatch",
                       "the signed attachment list and the photo answers name different photos")
    return form, clean
