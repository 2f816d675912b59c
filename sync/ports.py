"""What the sync client needs from a device, as a Protocol — so `sync` never imports `fieldapp`.

`fieldapp.device.Device` implements `Outbox`. None of these calls needs a PIN: the
outbox holds only sealed envelopes and the inbox stores what arrives still sealed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sync.receipt import Receipt


@dataclass(frozen=True)
class OutboxItem:
    envelope_id: str
    envelope: bytes                         # sealed envelope bytes, exactly as signed
    blobs: dict[str, bytes] = field(default_factory=dict)   # att_id -> sealed attachment blob


@dataclass(frozen=True)
class InboxItem:
    """One thing the office hands this phone. `body` is JSON; sealed parts stay base64."""
    item_id: str                            # office's id; also the paging cursor order
    kind: str                               # review_request | feedback | recipient_keys | revoked
    person_id: str                          # the local person it is for
    body: dict


class Outbox(Protocol):
    office_url: str | None
    sync_token: str | None
    device_id: str | None
    office_sign_public: bytes | None        # raw Ed25519, to verify receipts

    def pending(self, limit: int = 100) -> list[OutboxItem]: ...
    def mark_received(self, envelope_id: str, receipt: Receipt, wire: dict) -> None: ...
    def mark_failed(self, envelope_id: str, code: str, message: str) -> None: ...
    def inbox_cursor(self) -> str | None: ...
    def add_inbox(self, items: list[InboxItem], cursor: str | None) -> None: ...
    def pending_reviews(self) -> list[OutboxItem]: ...
    def mark_review_sent(self, envelope_id: str) -> None: ...
