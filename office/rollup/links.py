"""Link keys that may leave the office: `share_links`, filled at ingest from the one opening.

What leaves, per report, follows the hand-over's tier B (identifiers.csv): phone numbers,
social-media handles, vehicle plates, boat names and person names, each as a keyed HMAC of
the early-warning module's normalised value (one definition of "the same identifier"),
never the value. Names leave whole (tier B's `name` pseudonym), not as the office's
fuzzy-matching tokens: the region can only join on equal keys. Departure points leave only
when they matched a known public place (a jetty, port or border post of the gazetteer);
the free text a volunteer typed (tier B drops text answers) never does.

The key is HMAC-SHA256 under the LEVEL key (`<schema>.share_key`, the same for every
office of a level): equal identifiers at two offices give equal keys at the region, which
holds no key, so it cannot reverse a key or confirm a guessed number. It differs from the
office's own early-warning key (derived from the office's private key), so a region's
copy cannot be joined with an office's warn_links either.

PostgreSQL only, and only once `rollup office-setup` made the share schema; on SQLite or
before the set-up `record` does nothing. `record` runs as a derive consumer after the push
(office/derive/consumers/rollup_links.py); reports received before the set-up are queued
for it when the derive worker starts (it holds the key that opens them; `rollup
office-setup` does not).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Iterable

from sqlalchemy import Connection, text

from office.warning import extract
from office.warning.config import WarningConfig, current
from office.warning.engine import Report

KINDS = ("phone", "handle", "plate", "boat", "name", "place")
_SCHEMA = re.compile(r"^kanim_[a-z][a-z0-9]{1,9}$")


def link_key(level_key: bytes, kind: str, value: str) -> str:
    """The kind is inside the MAC (a plate never links to an equal boat name), and so is a
    purpose label (the same level key also makes the report pseudonyms)."""
    return hmac.new(level_key, f"jaga-desa/v1/rollup-link\x00{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def leaving(facts: extract.Facts, config: WarningConfig) -> list[tuple[str, str]]:
    """(kind, normalised value) pairs of one report that may leave the office."""
    out = [(k, v) for k, v in facts.identifiers if k in KINDS]
    if facts.place and facts.place in config.places:
        out.append(("place", facts.place))
    return out


def share_schema(conn: Connection) -> str | None:
    """The office's roll-up schema (`kanim_nnk`) when the roll-up is set up here, else None."""
    if conn.dialect.name != "postgresql":
        return None
    found = conn.execute(text(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'share_links' AND n.nspname LIKE 'kanim\\_%' AND EXISTS (SELECT 1 FROM pg_class k "
        "WHERE k.relname = 'share_key' AND k.relnamespace = n.oid) AND EXISTS (SELECT 1 FROM pg_class d "
        "WHERE d.relname = 'share_links_done' AND d.relnamespace = n.oid) ORDER BY 1 LIMIT 1")).scalar()
    return found if found and _SCHEMA.match(found) else None


def record(conn: Connection, reports: Iterable[Report], config: WarningConfig | None = None) -> int:
    """Store the leaving link keys of opened reports (warning.Report). Runs in the derive
    worker's transaction, after the envelopes (and so, through the share trigger, their
    share_reports rows) were stored, and reads the facts the early-warning consumer already
    extracted (`Report.facts_for`, with the same `config`). Returns how many rows were added."""
    reports = list(reports)
    schema = share_schema(conn) if reports else None
    if schema is None:
        return 0
    config = config or current()
    level_key = conn.execute(text(f"SELECT level_key FROM {schema}.share_key")).scalar()
    if level_key is None:
        return 0
    heads = {r.envelope_id: r for r in conn.execute(
        text(f"SELECT envelope_id, office_code, id, rahasia, week FROM {schema}.share_reports "
             f"WHERE envelope_id = ANY(:ids)"), {"ids": [r.envelope_id for r in reports]})}
    rows = []
    for r in reports:
        head = heads.get(r.envelope_id)
        if head is None:          # a `_review` or a report the share trigger did not take
            continue
        for kind, value in leaving(r.facts_for(config), config):
            rows.append({"office_code": head.office_code, "id": head.id, "envelope_id": r.envelope_id,
                         "kind": kind, "key": link_key(bytes(level_key), kind, value),
                         "rahasia": head.rahasia, "week": head.week})
    if rows:
        conn.execute(text(
            f"INSERT INTO {schema}.share_links (office_code, id, envelope_id, kind, key, rahasia, week) "
            f"VALUES (:office_code, :id, :envelope_id, :kind, :key, :rahasia, :week) ON CONFLICT DO NOTHING"), rows)
    mark_done(conn, schema, list(heads))
    return len(rows)


def mark_done(conn: Connection, schema: str, envelope_ids: list[str]) -> None:
    """These reports need no (more) links: made, or unreadable (retrying would not help)."""
    if envelope_ids:
        conn.execute(text(f"INSERT INTO {schema}.share_links_done (envelope_id) VALUES (:e) ON CONFLICT DO NOTHING"),
                     [{"e": e} for e in envelope_ids])
