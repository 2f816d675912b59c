"""What the sync client needs from a device, as a Protocol — so `sync` never imports `fieldapp`.

`fieldapp.device.Device` implements `Outbox`. None of these calls needs a PIN: the
outbox holds only sealed envelopes and the inbox stores what arrives still sealed.

Contract as sync.runner.sync_once uses it:
- `pending(limit)` — oldest first, items not yet received (and not marked failed).
- `mark_received(id, receipt, wire)` — called only with a verified, complete receipt that
  names every blob; the device may now purge the envelope and its blobs.
- `mark_failed(id, code, message)` — the office refused the item permanently (codes:
  envelope_invalid, unknown_person, revoked, wrong_device, wrong_recipient, id_conflict,
  id_not_bound, wrong_endpoint, bad_base64) or its receipt did not verify (receipt_invalid). A refusal
  (`is_refusal(code)`) is final: the item leaves `pending()` for good and the user is shown
  why (state `refused`), so it is never re-sent in a loop. sync.runner passes a final code
  only with `refusal`, the office's signed refusal it verified (sync/statement.py), and the
  `nonce` of the push it answers; the
  device may check it again and return False to keep the item waiting. A receipt that does
  not verify, or a refusal the office did not sign (refusal_untrusted), is not the office
  refusing: the item stays waiting and is tried again next round.
- `mark_received` may return False: the device refused the receipt on its own check
  (fieldapp: not under the office key the author attested) and keeps the item waiting.
- Optional `record_round(ok, error, when)` — sync.runner.sync_round reports each round:
  "last synced" may move only when `ok`; otherwise `error` is the round's stable code.
- `add_inbox(items, cursor)` — store the page and the new cursor in one transaction;
  items may repeat after a crash (dedupe by item_id).
- Optional `pending_count() -> int`, used only for progress totals.
- Optional `close_review(id, code, message, refusal, nonce)` — the office refused a verdict or reply
  for good (e.g. 404: it no longer knows the report) and signed that refusal; close it locally
  instead of re-sending it forever (False: the device did not believe it, kept).
- Optional `carried_file() -> bytes | None` and `take_carried_receipts(answer)` — courier mode
  (sync/courier.py): envelopes this phone carries for other phones of the same office, as one
  courier file for POST /courier, and the office's receipts file for them, which the device
  verifies itself before it lets anything go.
- `pending_reviews()` holds every person-signed envelope about a report the office already
  has: a head's verdict (`_review`) and a reply in the report's conversation (`_reply`);
  both go to POST /reviews, which routes them by form_id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sync.receipt import Receipt

# Failures that are not the office refusing the item: keep it waiting, try again later.
TRANSIENT_FAILURES = frozenset({"receipt_invalid", "receipt_untrusted", "refusal_untrusted"})


def is_refusal(code: str) -> bool:
    """True when the office refused this item for good (re-sending cannot change the answer)."""
    return code not in TRANSIENT_FAILURES


@dataclass(frozen=True)
class OutboxItem:
    envelope_id: str
    envelope: bytes                         # sealed envelope bytes, exactly as signed
    blobs: dict[str, bytes] = field(default_factory=dict)   # att_id -> sealed attachment blob


@dataclass(frozen=True)
class InboxItem:
    """One thing the office hands this phone. `body` is JSON; sealed parts stay base64."""
    item_id: str                            # office's id; also the paging cursor order
    kind: str                               # review_request | feedback | recipient_keys | revoked | alert
    person_id: str                          # the local person it is for
    body: dict
    raw: dict = field(default_factory=dict)  # the item as the office signed it (with `signature`)


class Outbox(Protocol):
    office_url: str | None
    sync_token: str | None
    device_id: str | None
    office_sign_public: bytes | None        # raw Ed25519, to verify receipts

    def pending(self, limit: int = 100) -> list[OutboxItem]: ...
    def mark_received(self, envelope_id: str, receipt: Receipt, wire: dict) -> None: ...
    def mark_failed(self, envelope_id: str, code: str, message: str,
                    refusal: dict | None = None, nonce: str | None = None) -> bool | None: ...
    def inbox_cursor(self) -> str | None: ...
    def add_inbox(self, items: list[InboxItem], cursor: str | None) -> None: ...
    def pending_reviews(self) -> list[OutboxItem]: ...
    def mark_review_sent(self, envelope_id: str) -> None: ...
