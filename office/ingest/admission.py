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
import math
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


def load_form(form_id: str, version: int) -> forms.Form:
    try:
        return forms.load(form_id, version)
    except (FormError, KeyError, ValueError, TypeError):
        raise Rejected("form_unknown", f"this office does not know form {form_id[:64]!r} "
                                       f"version {version}") from None


def _scan(answers: dict) -> tuple[float, list[str]]:
    """One walk over the answers for both caps: an upper bound on their JSON size in bytes
    and the (top-level) names whose value holds a text over MAX_TEXT_CHARS at any depth.
    The bound counts 6 bytes a character (the longest a character becomes in JSON, a
    `\\u00XX` escape) and 32 for any other scalar and each separator, so the exact size
    (`json.dumps`, as before) is only worked out for a report that could be near the cap.
    What json.dumps refuses (a set, a key it cannot write, a cycle) and more elements than
    the cap has bytes (each takes at least one) end the walk with an infinite bound: the
    exact size is then worked out or refused, and such answers never pass whatever their texts."""
    bound = 2
    long = []
    budget = MAX_ANSWERS_BYTES
    for key, value in answers.items():
        size = _key_size(key)
        if size is None:
            return math.inf, []
        bound += size
        over = False
        stack = [value]
        while stack:
            v = stack.pop()
            budget -= 1
            if budget < 0:
                return math.inf, []
            if isinstance(v, str):
                bound += 6 * len(v) + 8
                over = over or len(v) > MAX_TEXT_CHARS
            elif isinstance(v, dict):
                bound += 8
                for k, item in v.items():
                    size = _key_size(k)
                    if size is None:
                        return math.inf, []
                    bound += size
                    stack.append(item)
            elif isinstance(v, (list, tuple)):
                bound += 8
                stack.extend(v)
            elif v is None or isinstance(v, (bool, float)) or (isinstance(v, int) and -10**20 < v < 10**20):
                bound += 32                  # a float is at most 24 characters
            elif isinstance(v, int):
                bound += len(str(v)) + 8     # json.loads makes integers of up to 4300 digits
            else:
                return math.inf, []          # no JSON at all: json.dumps raises TypeError
        if over:
            long.append(str(key)[:40])
    return bound, sorted(long)


def _key_size(key: Any) -> int | None:
    """A key's bound in bytes, as json.dumps writes it (non-text scalars as text); None for
    a key it refuses."""
    if isinstance(key, str):
        return 6 * len(key) + 8
    if key is None or isinstance(key, (int, float)):
        return 6 * len(str(key)) + 8
    return None


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
        bound, long = _scan(answers)
        size = len(json.dumps(answers, ensure_ascii=False).encode()) if bound > MAX_ANSWERS_BYTES else 0
    except (TypeError, ValueError):                # NaN is allowed by json; keys are strings
        raise Rejected("answers_invalid", "the answers are not plain JSON") from None
    if size > MAX_ANSWERS_BYTES:
        raise Rejected("too_large", f"answers are {size} bytes; at most {MAX_ANSWERS_BYTES}")
    if long:
        raise Rejected("too_large", f"answer over {MAX_TEXT_CHARS} characters: {', '.join(long[:5])}")
    typed_in = payload.get("zone")
    # "not in the future" on the clock she typed on (a WIT phone is two hours ahead of a WIB office)
    now = localtime.wall_clock(typed_in) if isinstance(typed_in, str) and typed_in in localtime.ZONES else None
    try:
        errors = form.validate(answers, "en", now)
    except (TypeError, ValueError, KeyError, RecursionError):
        raise Rejected("answers_invalid", "the answers cannot be checked against the form") from None
    if errors:
        listed = "; ".join(f"{str(k)[:40]}: {v}" for k, v in sorted(errors.items())[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        raise Rejected("answers_invalid", (listed + more)[:MAX_REASON])
    clean = form.clean(answers)
    photos = {str(a).lower() for f in form.fields if f.type in ATTACHMENT_TYPES for a in clean.get(f.name, [])}
    manifest = {a.att_id for a in header.attachments}
    if photos != manifest:
        raise Rejected("attachments_mismatch",
                       "the signed attachment list and the photo answers name different photos")
    return form, clean
