"""Search terms: the keyed hashes of a report's words (dashboard search), written to the
inverted index (office/dashboard/search_index.py: FTS5 on SQLite, GIN on PostgreSQL).
Idempotent and replacing: a report derived again (a rebuild, a retry, a form whose words
changed) holds exactly its new words, never its old ones too."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from office.dashboard import derived, indexer, search_index
from office.keys import OfficeKeys

from ..registry import Consumer, Stored, register


def derive(conn: Connection, keys: OfficeKeys, items: list[Stored], now: datetime) -> None:
    search_index.replace(conn, {item.envelope_id: document(keys, item) for item in items})


def document(keys: OfficeKeys, item: Stored) -> search_index.Document:
    """The report's tokens as the index stores them (sorted, joined, packed), made once:
    `prepare` makes it before the write, so the one writer does not."""
    if "search_document" not in item.memo:
        item.memo["search_document"] = search_index.document(tokens(keys, item))
    return item.memo["search_document"]


def tokens(keys: OfficeKeys, item: Stored) -> set[str]:
    """The report's search tokens (none when it could not be opened), computed once
    (`prepare` may have done it already, in a pool process)."""
    if "search_tokens" not in item.memo:
        if item.answers is None:
            item.memo["search_tokens"] = set()
        else:
            form = indexer.load_form(item.form_id, item.form_version)
            item.memo["search_tokens"] = derived.term_hashes(keys, indexer.search_words(form, item.answers))
    return item.memo["search_tokens"]


CONSUMER = register(Consumer("search", derive, search_index.clear, prepare=document))
