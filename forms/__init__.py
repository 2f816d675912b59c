"""Jaga Desa forms: form definitions are data (forms/definitions/*.json), this is the engine.

    form = forms.load("laporan_kecurigaan")          # latest version (or version=1)
    form.validate(answers, lang="en")                # {field: message}; {} when valid
    clean = form.check(answers)                      # or raises ValidationFailed
    form.flags(clean), form.is_confidential(clean), form.summary(clean, "id")

Pure: no storage, no network. See forms/FORMAT.md for the definition format.
"""
from __future__ import annotations

from core.errors import FormError, FormNotFound, ValidationFailed

from .catalog import check_file, list_forms, load, versions
from .model import Choice, Field, Form, Section, format_answer
from .parser import parse
from .validation import ATTACHMENT_TYPES
from .i18n import LANGS

__all__ = [
    "load", "list_forms", "versions", "parse", "check_file", "format_answer",
    "Form", "Section", "Field", "Choice", "LANGS", "ATTACHMENT_TYPES",
    "FormError", "FormNotFound", "ValidationFailed",
]
