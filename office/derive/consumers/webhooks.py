"""Webhook deliveries: after early warning has run for a report, the signals it raised or
extended go to the partner's webhook (office/warning/webhook.py), outside the transaction
(a slow partner must not hold the store's write lock). Configured by JAGA_WEBHOOK_URL and
JAGA_WEBHOOK_SECRET; without them nothing is sent (`office-admin deliver-webhooks` still
sends by hand). An undelivered signal stays `delivered = false` and goes with the next batch.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime

from sqlalchemy import Connection, Engine

from office.keys import OfficeKeys
from office.warning import webhook

from ..registry import Consumer, Stored, register

log = logging.getLogger("jaga.office.derive")


def configured() -> webhook.Webhook | None:
    url, secret = os.environ.get("JAGA_WEBHOOK_URL"), os.environ.get("JAGA_WEBHOOK_SECRET", "")
    return webhook.Webhook(url, secret.encode()) if url else None


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    """Nothing to write in the batch: the signals are early warning's; this job orders the
    delivery after them."""


def deliver(engine: Engine, keys: OfficeKeys) -> None:
    hook = configured()
    if hook is not None:
        out = webhook.deliver_pending(engine, hook)
        if out["failed"]:
            log.warning("webhook: %d signal(s) not delivered; retried with the next batch", out["failed"])


CONSUMER = register(Consumer("webhooks", derive, after=("early_warning",), after_commit=deliver))
