"""Hand-over errors: part of the one core.errors hierarchy, with stable codes.

    OfficeError
    └── HandoverError          an export cannot be made as asked      (handover_invalid)
        └── RegionCodeMissing  a village has no kode wilayah (A/B)     (region_code_missing)
    JagaError
    └── PackageInvalid         a package fails verification            (package_invalid)
"""
from __future__ import annotations

from core.errors import JagaError, OfficeError


class HandoverError(OfficeError):
    """This hand-over package cannot be made as asked."""
    code = "handover_invalid"
    http_status = 422

    def __init__(self, message: str = "", message_id: str | None = None, **details: object) -> None:
        """`message` in English (the CLI, logs); `message_id` the same in Bahasa Indonesia for
        the dashboard, which shows people Indonesian first with an English switch."""
        super().__init__(message, **details)
        self.message_id = message_id

    def text(self, lang: str) -> str:
        return self.message_id if lang == "id" and self.message_id else self.message


class RegionCodeMissing(HandoverError):
    """A village in the period has no Kemendagri region code; tiers A and B need one."""
    code = "region_code_missing"


class PackageInvalid(JagaError):
    """The package does not verify: wrong signature, altered file, or broken schema."""
    code = "package_invalid"
