"""One error hierarchy with stable codes, across the whole project (core.errors and the
packages that add their own, e.g. the hand-over's): every class that carries a `code`
descends from JagaError, no two share a code, and no code that exists today is renamed
or dropped — scripts and the phone match on them. Adding a new error needs no change here.

Read from the source (ast), so modules that need the UI or PostgreSQL are covered too."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core import errors
from office.handover import errors as handover_errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "forms", "fieldapp", "sync", "office", "jaga_desa")

# The wire/CLI contract as of this commit: class -> code. Never edit a value; only add rows.
STABLE = {
    "JagaError": "jaga_error", "FormError": "form_invalid", "FormNotFound": "form_not_found",
    "ValidationFailed": "validation_failed", "PinError": "pin_wrong", "LockedOut": "user_locked_out",
    "StoreError": "store_error", "CorruptStore": "store_corrupt", "DecryptError": "decrypt_failed",
    "StorageFull": "storage_full", "NotFound": "not_found", "EnvelopeError": "envelope_invalid",
    "TrustError": "office_untrusted", "IdentityMismatch": "office_identity_mismatch",
    "SyncError": "sync_failed", "InsecureTransport": "insecure_transport",
    "TlsPinMismatch": "tls_pin_mismatch", "ApiError": "api_error", "OfficeError": "office_error",
    "BadRequest": "bad_request", "TooLarge": "too_large", "AuthError": "unauthorized",
    "Forbidden": "forbidden", "Revoked": "revoked", "Conflict": "conflict",
    "OffsetMismatch": "offset_mismatch", "ChecksumMismatch": "attachment_checksum",
    "EnrollmentError": "enroll_failed", "EnrollCodeInvalid": "enroll_code_invalid",
    "EnrollCodeUsed": "enroll_code_used", "EnrollCodeExpired": "enroll_code_expired",
    "OfficeKeyError": "office_key", "DatabaseDriverMissing": "db_driver_missing",
    "BuildFailed": "build_failed",
    "PostgresUnavailable": "postgres_unavailable", "PhotoError": "photo_invalid", "VoiceError": "voice_invalid",
    "Immutable": "report_immutable", "NotEnrolled": "not_enrolled", "SecretMissing": "secret_missing",
    "BadPin": "pin_format", "PinEmpty": "pin_empty", "PinWait": "pin_wait",
    "BadTicket": "enroll_ticket_invalid", "HandoverError": "handover_invalid",
    "RegionCodeMissing": "region_code_missing", "PackageInvalid": "package_invalid",
    "RollupError": "rollup_invalid",
    "ShareNotSetUp": "rollup_not_set_up",
    "AppLockout": "rollup_app_lockout",
    "CourierError": "courier_invalid", "CourierWrongOffice": "courier_wrong_office",
    "CourierDamaged": "courier_damaged",
    "OfficeExtraMissing": "office_extra_missing",
    "RateLimited": "rate_limited", "QuotaExceeded": "quota_exceeded",
}


def scan(files) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(class -> the codes it sets in its body, class -> its base names) over `files`."""
    codes: dict[str, list[str]] = {}
    bases: dict[str, list[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases.setdefault(node.name, []).extend(
                b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "?"
                for b in node.bases)
            for st in node.body:
                if isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant) \
                        and any(isinstance(t, ast.Name) and t.id == "code" for t in st.targets):
                    codes.setdefault(node.name, []).append(st.value.value)
    return codes, bases


def descends_from_jaga_error(name: str, bases: dict[str, list[str]]) -> bool:
    seen, todo = set(), [name]
    while todo:
        cls = todo.pop()
        if cls == "JagaError":
            return True
        if cls not in seen:
            seen.add(cls)
            todo.extend(bases.get(cls, []))
    return False


def shared_codes(codes: dict[str, list[str]]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for name, cs in codes.items():
        for code in cs:
            owners.setdefault(code, []).append(name)
    return {c: n for c, n in owners.items() if len(n) > 1}


CODES, BASES = scan(p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py")))


def test_no_stable_code_was_renamed_or_dropped():
    now = {name: CODES.get(name, ["(gone)"])[0] for name in STABLE}
    assert now == STABLE


def test_no_two_errors_share_a_code():
    assert shared_codes(CODES) == {}


def test_every_error_with_a_code_is_part_of_the_one_hierarchy():
    assert [n for n in CODES if not descends_from_jaga_error(n, BASES)] == []


def test_handover_errors_are_core_office_errors_with_their_codes():
    assert issubclass(handover_errors.HandoverError, errors.OfficeError)
    assert issubclass(handover_errors.RegionCodeMissing, handover_errors.HandoverError)
    assert issubclass(handover_errors.PackageInvalid, errors.JagaError)
    assert handover_errors.RegionCodeMissing("x").to_json() == {"code": "region_code_missing", "message": "x"}


def test_core_exports_every_error_it_defines():
    defined = {n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, errors.JagaError)}
    assert defined == set(errors.__all__)


@pytest.mark.parametrize("source,renamed,rogue,shared", [
    ("class JagaError(Exception):\n    code = 'jaga_error'\n"
     "class StoreError(JagaError):\n    code = 'store_broken'\n"          # a renamed code
     "class Odd(ValueError):\n    code = 'odd'\n"                         # outside the hierarchy
     "class Twin(StoreError):\n    code = 'store_broken'\n",              # a shared code
     True, ["Odd"], {"store_broken": ["StoreError", "Twin"]}),
])
def test_the_checks_catch_what_they_guard(tmp_path, source, renamed, rogue, shared):
    """Negative control: a made-up module breaking each rule is caught by each check."""
    (tmp_path / "bad.py").write_text(source)
    codes, bases = scan([tmp_path / "bad.py"])
    assert (codes["StoreError"][0] != STABLE["StoreError"]) is renamed
    assert [n for n in codes if not descends_from_jaga_error(n, bases)] == rogue
    assert shared_codes(codes) == shared
