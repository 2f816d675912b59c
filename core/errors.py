"""One error hierarchy with stable codes, caught at whatever level a caller cares about.

    JagaError
    ├── FormError            a form definition itself is broken        (form_invalid)
    │   └── FormNotFound     unknown form id or version                (form_not_found)
    ├── ValidationFailed     answers fail the form; .errors per field  (validation_failed)
    ├── PinError             wrong PIN; .remaining tries               (pin_wrong)
    │   └── LockedOut        key destroyed after too many tries        (user_locked_out)
    ├── StoreError           the device store cannot do what was asked (store_error)
    │   ├── CorruptStore     file is not a healthy Jaga store          (store_corrupt)
    │   ├── DecryptError     ciphertext tampered or wrong key          (decrypt_failed)
    │   ├── StorageFull      disk full; the previous state is intact   (storage_full)
    │   └── NotFound         no such user / report / row               (not_found)
    ├── EnvelopeError        an envelope cannot be opened or verified  (envelope_invalid)
    ├── TrustError           the office's identity cannot be trusted   (office_untrusted)
    │   └── IdentityMismatch the office's keys differ from the pin     (office_identity_mismatch)
    ├── SyncError            the network or office failed; retry later (sync_failed)
    │   ├── InsecureTransport plain HTTP to a non-loopback office      (insecure_transport)
    │   └── TlsPinMismatch   the office's certificate is not the pinned one (tls_pin_mismatch)
    ├── ApiError             an office refusal with an HTTP status     (from the office)
    ├── BuildFailed          the offline app cannot be built           (build_failed)
    ├── CourierError         a courier file cannot be used             (courier_invalid)
    │   ├── CourierWrongOffice  made for another office                (courier_wrong_office)
    │   └── CourierDamaged   imported what was whole; some was not     (courier_damaged)
    └── OfficeError          the office refuses a request              (office_error)
        ├── BadRequest       malformed request                   422   (bad_request)
        ├── TooLarge         body or batch over the limit        413   (too_large)
        ├── AuthError        missing or unknown sync token       401   (unauthorized)
        ├── Forbidden        not allowed for this caller         403   (forbidden)
        │   └── Revoked      person or device revoked            403   (revoked)
        ├── Conflict         clashes with what the office holds  409   (conflict)
        │   └── OffsetMismatch  attachment chunk at wrong offset 409   (offset_mismatch)
        ├── ChecksumMismatch attachment sha256 != manifest       422   (attachment_checksum)
        ├── EnrollmentError  an enrollment code cannot be used   400   (enroll_failed)
        │   ├── EnrollCodeInvalid  unknown code                  404   (enroll_code_invalid)
        │   ├── EnrollCodeUsed     already redeemed              409   (enroll_code_used)
        │   └── EnrollCodeExpired  past its expiry               410   (enroll_code_expired)
        ├── RateLimited      one phone: too many pushes, or requests at once 429 (rate_limited)
        │   └── QuotaExceeded  one phone: its bytes for today are used   429 (quota_exceeded)
        ├── OfficeKeyError   office keys cannot be loaded (startup, not HTTP) (office_key)
        ├── DatabaseDriverMissing  --db names a database without its driver (startup) (db_driver_missing)
        └── OfficeExtraMissing  an office command on a phone-only install (office_extra_missing)

The office maps every JagaError to `{"code", "message"}` with `http_status`.
Codes are part of the wire contract: never rename one, only add.
"""
from __future__ import annotations


class JagaError(Exception):
    code = "jaga_error"
    http_status = 400

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        self.details = details

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message}


class FormError(JagaError):
    """The form definition is broken."""
    code = "form_invalid"
    http_status = 422


class FormNotFound(FormError):
    """No such form or form version."""
    code = "form_not_found"
    http_status = 404


class ValidationFailed(JagaError):
    """Some answers do not satisfy the form."""
    code = "validation_failed"
    http_status = 422

    def __init__(self, errors: dict[str, str], message: str = "") -> None:
        self.errors = dict(errors)
        listed = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        super().__init__(message or f"{len(self.errors)} field(s) invalid — {listed}")


class PinError(JagaError):
    """Wrong PIN."""
    code = "pin_wrong"
    http_status = 401

    def __init__(self, message: str = "", remaining: int = 0) -> None:
        self.remaining = remaining
        super().__init__(message or f"Wrong PIN; {remaining} tries left")


class LockedOut(PinError):
    """Too many wrong PINs: this user's key was destroyed."""
    code = "user_locked_out"


class StoreError(JagaError):
    """The device store cannot do that."""
    code = "store_error"


class CorruptStore(StoreError):
    """The data file is damaged or not a Jaga Desa store."""
    code = "store_corrupt"


class DecryptError(StoreError):
    """Data could not be decrypted: wrong key or tampered."""
    code = "decrypt_failed"


class StorageFull(StoreError):
    """The disk is full; nothing was changed."""
    code = "storage_full"
    http_status = 507


class NotFound(StoreError):
    """No such item."""
    code = "not_found"
    http_status = 404


class EnvelopeError(JagaError):
    """The envelope is malformed, tampered, or not for this recipient."""
    code = "envelope_invalid"


class TrustError(JagaError):
    """What the office sent cannot be verified under the office identity pinned at enrollment."""
    code = "office_untrusted"


class IdentityMismatch(TrustError):
    """The office's keys do not match the fingerprint in the enrollment code: refused."""
    code = "office_identity_mismatch"


class SyncError(JagaError):
    """Could not reach the office or it refused; the report stays in the outbox."""
    code = "sync_failed"
    http_status = 503


class InsecureTransport(SyncError):
    """Plain HTTP to an office that is not on this machine is refused (use HTTPS, or --insecure)."""
    code = "insecure_transport"


class TlsPinMismatch(SyncError):
    """The office's TLS certificate is not the one pinned at enrollment."""
    code = "tls_pin_mismatch"


class ApiError(JagaError):
    """An office refusal, carried with its HTTP status and stable code."""
    code = "api_error"

    def __init__(self, code: str, message: str, http_status: int = 400, refusal: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.refusal = refusal          # the office's signed refusal, if it sent one (sync/statement.py)
        self.nonce: str | None = None   # the nonce the refused request carried (set by sync.client)


class CourierError(JagaError):
    """This is not a courier file (or not one this version can read)."""
    code = "courier_invalid"
    http_status = 422


class CourierWrongOffice(CourierError):
    """The courier file was made for another office: nothing of it was imported."""
    code = "courier_wrong_office"
    http_status = 422


class CourierDamaged(CourierError):
    """Part of the courier file was damaged or cut off: what was whole was taken, the rest stays on the phone."""
    code = "courier_damaged"
    http_status = 422


class OfficeError(JagaError):
    """The office refuses this request."""
    code = "office_error"


class BadRequest(OfficeError):
    """The request is malformed."""
    code = "bad_request"
    http_status = 422


class TooLarge(OfficeError):
    """The request body or batch is over the limit."""
    code = "too_large"
    http_status = 413


class AuthError(OfficeError):
    """Missing or unknown sync token."""
    code = "unauthorized"
    http_status = 401


class Forbidden(OfficeError):
    """Not allowed for this caller."""
    code = "forbidden"
    http_status = 403


class Revoked(Forbidden):
    """This person or device has been revoked by the office."""
    code = "revoked"


class Conflict(OfficeError):
    """The request clashes with what the office already holds."""
    code = "conflict"
    http_status = 409


class OffsetMismatch(Conflict):
    """The chunk does not start where the stored upload ends."""
    code = "offset_mismatch"


class ChecksumMismatch(OfficeError):
    """The uploaded attachment does not match its signed checksum; it was discarded."""
    code = "attachment_checksum"
    http_status = 422


class EnrollmentError(OfficeError):
    """The enrollment code cannot be used."""
    code = "enroll_failed"


class EnrollCodeInvalid(EnrollmentError):
    """Unknown enrollment code."""
    code = "enroll_code_invalid"
    http_status = 404


class EnrollCodeUsed(EnrollmentError):
    """This enrollment code has already been used."""
    code = "enroll_code_used"
    http_status = 409


class EnrollCodeExpired(EnrollmentError):
    """This enrollment code has expired; ask the office for a new one."""
    code = "enroll_code_expired"
    http_status = 410


class RateLimited(OfficeError):
    """This phone is sending too fast (pushes per minute, or requests at the same time); try later."""
    code = "rate_limited"
    http_status = 429


class QuotaExceeded(RateLimited):
    """This phone has sent as many bytes as the office takes from one phone today; the rest waits."""
    code = "quota_exceeded"


class OfficeKeyError(OfficeError):
    """The office keys cannot be loaded (missing or wrong JAGA_OFFICE_KEY)."""
    code = "office_key"
    http_status = 500


class DatabaseDriverMissing(OfficeError):
    """The --db URL names a database whose Python driver is not installed."""
    code = "db_driver_missing"
    http_status = 500


class OfficeExtraMissing(OfficeError):
    """An office command (office, office-admin, handover, rollup, demo) on an install without
    the office's dependencies: the phone's install carries none of them."""
    code = "office_extra_missing"
    http_status = 500


class BuildFailed(JagaError):
    """The installable offline app cannot be built (jaga-desa build-app)."""
    code = "build_failed"


__all__ = [
    "JagaError", "FormError", "FormNotFound", "ValidationFailed", "PinError", "LockedOut",
    "StoreError", "CorruptStore", "DecryptError", "StorageFull", "NotFound",
    "EnvelopeError", "TrustError", "IdentityMismatch", "SyncError", "InsecureTransport",
    "TlsPinMismatch", "ApiError", "BuildFailed", "CourierError", "CourierWrongOffice", "CourierDamaged",
    "OfficeError", "BadRequest", "TooLarge", "AuthError", "Forbidden", "Revoked", "Conflict",
    "OffsetMismatch", "ChecksumMismatch", "EnrollmentError", "EnrollCodeInvalid",
    "EnrollCodeUsed", "EnrollCodeExpired", "OfficeKeyError", "DatabaseDriverMissing", "OfficeExtraMissing",
    "RateLimited", "QuotaExceeded",
]
