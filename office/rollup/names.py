"""The names of everything the roll-up creates, derived from one office code.

One schema per office (`kanim_nnk`) on every level: the region keeps each office's rows in
that office's own table, with a CHECK on the code, so an office can neither write rows
under another office's code nor touch (TRUNCATE, duplicate keys) another office's table.
The CHECK alone does not stop an office that publishes a table named like another
office's: each office's subscription is owned by its own role (`jaga_sub_nnk`) with
privileges on its own schema only, and PostgreSQL applies every change with the
subscription owner's privileges.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from office.handover.errors import HandoverError

CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
ROLE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class RollupError(HandoverError):
    """The roll-up cannot be set up or checked as asked."""
    code = "rollup_invalid"


@dataclass(frozen=True)
class Office:
    code: str                                  # e.g. "NNK" (Kanim Nunukan)

    def __post_init__(self) -> None:
        if not CODE.match(self.code):
            raise RollupError(f"office code {self.code!r}: 2-10 capital letters/digits, e.g. NNK")

    @property
    def schema(self) -> str:
        return f"kanim_{self.code.lower()}"

    @property
    def table(self) -> str:
        return f"{self.schema}.share_reports"

    @property
    def links(self) -> str:                    # pseudonymous link keys (phone, boat, ...) per report
        return f"{self.schema}.share_links"

    @property
    def share_db(self) -> str:
        return f"share_{self.code.lower()}"

    @property
    def pub_local(self) -> str:                # office DB -> share DB (column list + row filter)
        return f"jaga_share_{self.code.lower()}"

    @property
    def slot_local(self) -> str:
        return f"jaga_share_{self.code.lower()}"

    @property
    def pub_up(self) -> str:                   # share DB -> region
        return f"jaga_up_{self.code.lower()}"

    def sub_at(self, level: str) -> str:       # subscription name at a level (share, region, national)
        return f"jaga_{level}_{self.code.lower()}"

    @property
    def subscriber(self) -> str:               # at the region/national: owns this office's subscription
        return f"jaga_sub_{self.code.lower()}"


def role(name: str) -> str:
    if not ROLE.match(name):
        raise RollupError(f"role name {name!r}: lower case letters, digits, underscore")
    return name
