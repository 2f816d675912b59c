"""The answers a consumer reads: what admission kept (form.clean) — the same the push checked."""
from __future__ import annotations

import forms
from core.errors import FormError

from ..registry import Stored


def clean_answers(item: Stored) -> dict | None:
    """The report's answers as its form cleans them (None: unopened, or no answers)."""
    if "clean" not in item.memo:
        answers = item.answers
        if answers is not None:
            try:
                answers = forms.load(item.form_id, item.form_version).clean(answers)
            except (FormError, KeyError, ValueError, TypeError):
                pass                  # a form this office no longer knows: the answers as sent
        item.memo["clean"] = answers
    return item.memo["clean"]
