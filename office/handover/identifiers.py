"""identifiers.csv: the people and things a v2 report names ("terlibat" entries), per tier.

    B  kind + a pseudonymous id per normalised identifier (HMAC under the recipient's key):
       the same phone number in two reports gets the same id in one agency's package, a
       different one in another's, and never the number itself.
    C  the normalised value too (phone numbers E.164, plates and handles canonical), plus
       the text as the volunteer wrote it: a referral is for acting on.

Normalisation is the early-warning module's (one definition of "the same identifier").
Reports without repeat entries (all v1 forms) simply add no rows.
"""
from __future__ import annotations

from typing import Iterator

from . import keys as pkeys

KINDS = ("phone", "handle", "plate", "boat", "name")


def _entry_keys() -> dict:
    try:
        from office.warning.extract import ENTRY_KEYS
    except ImportError:        # an office build without the early-warning module: nothing to list
        return {}
    return ENTRY_KEYS


def schema(tier: str) -> dict:
    ref = "report_pid" if tier == "B" else "referral_id"
    fields = [{"name": ref, "type": "string", "constraints": {"required": True},
               "description": "the report (see reports.csv)"},
              {"name": "entry", "type": "integer", "description": "which person/thing entry of the report (1 = first)"},
              {"name": "role", "type": "string", "description": "the entry's role code (see codebook)"},
              {"name": "kind", "type": "string", "constraints": {"enum": list(KINDS)},
               "description": "phone | handle | plate | boat | name"}]
    if tier == "B":
        fields.append({"name": "identifier_pid", "type": "string", "constraints": {"required": True},
                       "description": "pseudonymous id of the normalised identifier, stable for this recipient only"})
    else:
        fields += [{"name": "value", "type": "string", "description": "normalised (phone numbers E.164)"},
                   {"name": "as_written", "type": "string", "description": "as the volunteer wrote it"}]
    return {"fields": fields, "missingValues": [""]}


def rows(report_ref: str, answers: dict, tier: str, pkey: bytes | None) -> Iterator[list]:
    keys = _entry_keys()
    for value in answers.values():
        if not (isinstance(value, list) and value and all(isinstance(e, dict) for e in value)):
            continue                                    # only repeat groups hold entry objects
        for i, entry in enumerate(value, start=1):
            role = entry.get("peran") if isinstance(entry.get("peran"), str) else ""
            for key, (kind, norm) in keys.items():
                raw = entry.get(key)
                norm_value = norm(raw) if isinstance(raw, str) and raw.strip() else None
                if not norm_value:
                    continue
                if tier == "B":
                    yield [report_ref, i, role, kind, pkeys.pseudonym(pkey, "i", f"{kind}:{norm_value}")]
                else:
                    yield [report_ref, i, role, kind, norm_value, raw]


KIND_LABELS = {"phone": ("Nomor telepon", "Phone number"), "handle": ("Akun media sosial", "Social-media account"),
               "plate": ("Nomor polisi kendaraan", "Vehicle plate"), "boat": ("Nama kapal", "Boat name"),
               "name": ("Nama orang", "Person's name")}


def codes() -> dict[str, list[tuple[str, str, str]]]:
    """Codebook entries for `kind` and `role` (the repeat groups' role choices)."""
    import forms
    roles: dict[str, tuple[str, str, str]] = {}
    for form in forms.list_forms():
        for f in form.fields:
            for sub in getattr(f, "fields", None) or []:
                if sub.name == "peran":
                    for c in sub.choices:
                        roles.setdefault(c.value, (c.value, c.label("id"), c.label("en")))
    return {"kind": [(k, *KIND_LABELS[k]) for k in KINDS], "role": list(roles.values())}
