"""The level key: where it comes from, and how an office changes it (`rollup rotate-key`).

One key per level (every office of a region holds the same one), so that equal identifiers
at two offices give equal link keys at the region. Whoever holds it can test guesses: a
phone number space is small enough to enumerate in seconds (THREAT_MODEL.md), so the key
never leaves the offices — never printed (steps.mask), never in argv (a file, or an
environment variable), never at the region.

Rotation, at every office of the level (the links of an office that has rotated and one
that has not never meet): the new key replaces the old in `<schema>.share_key`, every
report pseudonym is computed again under it in one transaction (the region's rows follow
as UPDATEs), and the link rows are deleted (the region's follow as DELETEs) and made again
under the new key by the office process's start-up backfill, which holds the key that
opens the reports. Restart the office after rotating.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from . import ddl
from .names import Office, RollupError
from .shareslot import ShareNotSetUp
from .steps import Step, engine, run

ENV = "JAGA_ROLLUP_LEVEL_KEY"
FILE_ENV = "JAGA_ROLLUP_LEVEL_KEY_FILE"
MAKE = "python -c 'import secrets; print(secrets.token_hex(32))' > level.key; chmod 600 level.key"


def parse(raw: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise RollupError(f"{where}: the level key is 64 hex digits (32 bytes), the same for every office of the "
                          f"level; make one with: {MAKE}")
    return key


def load(path: str | None = None) -> bytes:
    """From `path` (or $JAGA_ROLLUP_LEVEL_KEY_FILE), else $JAGA_ROLLUP_LEVEL_KEY."""
    path = path or os.environ.get(FILE_ENV)
    if path:
        try:
            return parse(Path(path).read_text(), path)
        except OSError as exc:
            raise RollupError(f"{path}: cannot read the level key ({exc.strerror})") from None
    if not os.environ.get(ENV, "").strip():
        raise RollupError(f"give the level key with --level-key-file FILE, {FILE_ENV} or {ENV} "
                          f"(never on the command line); make one with: {MAKE}")
    return parse(os.environ[ENV], ENV)


def stored(admin_url: str, office_db: str, code: str) -> bytes | None:
    o = Office(code)
    with engine(admin_url, office_db).connect() as conn:
        if not conn.execute(text(f"SELECT to_regclass('{o.schema}.share_key') IS NOT NULL")).scalar():
            return None
        found = conn.execute(text(f"SELECT level_key FROM {o.schema}.share_key")).scalar()
    return bytes(found) if found is not None else None


def rotate(admin_url: str, office_db: str, code: str, new_key: bytes, say=print) -> bool:
    """Replace office `code`'s level key; True when it changed (False: it already was)."""
    o = Office(code)
    old = stored(admin_url, office_db, code)
    if old is None:
        raise ShareNotSetUp(f"office {o.code}: {office_db} has no {o.schema}.share_key; run `rollup office-setup` first")
    if old == new_key:
        say(f"  ok       office {o.code} already holds this level key")
        return False
    # one statement string = one implicit transaction: no report is ever under a mix of keys
    run(engine(admin_url, office_db), [Step(
        f"level key of {o.code} replaced; report pseudonyms made again under it; link rows deleted "
        f"(the office's start-up backfill makes them again: restart the office)", None,
        [f"UPDATE {o.schema}.share_key SET level_key = decode('{new_key.hex()}', 'hex'); "
         f"UPDATE {o.table} SET id = {ddl.pseudonym('envelope_id', f'(SELECT level_key FROM {o.schema}.share_key)')}, "
         f"updated_at = now(); DELETE FROM {o.links}; DELETE FROM {o.schema}.share_links_done"])], say)
    return True
