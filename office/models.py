"""Pydantic models for every request and response: they ARE the OpenAPI schema."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


KEY_B64 = r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"      # exactly 32 bytes, base64
B64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class RefusalWire(BaseModel):
    code: str
    device_id: str
    envelope_id: str | None = Field(description="the refused item's id; null when the whole device is refused")
    envelope_sha256: str | None = Field(description="hex SHA-256 of the exact bytes refused; null for the device")
    refused_at: str = Field(description="office clock, ISO 8601 UTC")
    purpose: Literal["push", "review", "device"] = Field(
        description="the door that refused: push (POST /envelopes), review (POST /reviews), device (the token)")
    nonce: str = Field(description="the X-Jaga-Nonce the refused request carried (no nonce: no refusal is signed)")
    signature: str = Field(description="base64 Ed25519 by the office key over the canonical JSON of the "
                                       "other fields plus ctx 'jaga-desa/v2/refusal'")


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, never renamed")
    message: str
    refusal: RefusalWire | None = Field(default=None, description="present when the refusal is final: "
                                        "a refused verdict or reply, a revoked device")


class Health(BaseModel):
    status: Literal["ok"]
    server_time: str
    version: str


class EnrollRequest(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    x25519_public: str = Field(description="raw 32-byte key, base64", pattern=KEY_B64)
    ed25519_public: str = Field(description="raw 32-byte key, base64", pattern=KEY_B64)
    device_id: str | None = Field(default=None, max_length=64)
    device_token: str | None = Field(default=None, max_length=128)


class Recipient(BaseModel):
    person_id: str
    key_id: str
    x25519_public: str


class EnrollResponse(BaseModel):
    person_id: str
    device_id: str
    sync_token: str | None = Field(description="only when this enrollment registered the phone")
    village_id: int
    village_name: str
    kecamatan_name: str | None = Field(default=None, description="the village's kecamatan (from its "
                                                                 "Kemendagri code), when known")
    role: Literal["volunteer", "head"]
    x25519_public: str = Field(description="the enrolled person's keys, echoed so the answer "
                                           "is bound to this enrollment")
    ed25519_public: str
    office_x25519_public: str
    office_ed25519_public: str
    office_key_id: str
    office_fingerprint: str
    issued_at: str
    recipients: list[Recipient]
    recipients_valid_until: str = Field(default="", description="after this the phone seals for "
                                                               "the office only, until a newer list")
    signature: str = Field(default="", description="base64 Ed25519 by the office key over the "
                                                   "canonical JSON of every other field plus ctx "
                                                   "'jaga-desa/v1/enrollment'")


class OfficeIdentity(BaseModel):
    office_x25519_public: str
    office_ed25519_public: str
    office_fingerprint: str


class ReceiptWire(BaseModel):
    ctx: str
    envelope_id: str
    envelope_sha256: str
    received_at: str
    attachments: dict[str, str]
    complete: bool
    leaf_index: int = Field(description="this receipt's leaf in the batch tree")
    # Absent in a push answer for the receipts of the batch signed for that push: they are
    # in `BatchResult.batch` once, and the phone rebuilds the audit path (sync/receipt.py).
    tree_size: int | None = Field(default=None, description="receipts signed together (Merkle tree size)")
    audit_path: list[str] | None = Field(default=None, description="RFC 6962 audit path, hex, leaf to root")
    root: str | None = Field(default=None, description="hex Merkle root the office signed")
    signature: str | None = Field(default=None, description="base64 Ed25519 over the root statement")


class BatchRoot(BaseModel):
    tree_size: int
    root: str = Field(description="hex Merkle root over this push's receipt bodies")
    signature: str = Field(description="base64 Ed25519 over the root statement (sync/ENVELOPE.md)")


class EnvelopeBatch(BaseModel):
    envelopes: list[str] = Field(description="base64 sealed envelopes (at most 500)")


class ItemResult(BaseModel):
    envelope_id: str | None
    status: Literal["accepted", "duplicate", "rejected", "deferred"] = Field(
        description="deferred: not stored now and not refused (this phone's bytes for today are used: "
                    "code quota_exceeded, or this phone's reports still waiting for derive are at "
                    "the office's bound: code rate_limited); send it again after retry_after seconds")
    code: str | None = None
    reason: str | None = None
    retry_after: int | None = None
    receipt: ReceiptWire | None = None
    refusal: RefusalWire | None = Field(default=None, description="with every rejected item the office "
                                        "could read: its signed refusal (the phone closes the item only on it)")


class BatchResult(BaseModel):
    results: list[ItemResult]
    batch: BatchRoot | None = Field(default=None, description="the signed root shared by this push's new receipts")


class AttachmentStatus(BaseModel):
    received: int
    size: int
    complete: bool


class InboxItem(BaseModel):
    item_id: str
    kind: str = Field(description="review_request | feedback | recipient_keys | revoked | ... "
                                  "(a phone drops kinds it does not know)")
    person_id: str
    issued_at: str = Field(description="office clock, ISO 8601 UTC")
    body: dict[str, Any]
    signature: str = Field(description="base64 Ed25519 by the office key over the canonical "
                                       "JSON of the other fields plus ctx 'jaga-desa/v1/inbox-item'")


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_cursor: str | None


class ReviewRequest(BaseModel):
    envelope: str = Field(description="base64 sealed v1 envelope, form_id '_review' or '_reply'",
                          min_length=4, pattern=B64)


class ReviewResult(BaseModel):
    envelope_id: str
    status: Literal["accepted", "duplicate"]
    receipt: ReceiptWire
