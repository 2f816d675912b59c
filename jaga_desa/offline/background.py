"""Sync in the browser without threads: sync.runner's SyncLoop, stepped by an asyncio task.

Pyodide cannot start a thread, so the loop the web build runs in its own thread is driven
here by one task on the worker's event loop: `SyncLoop.step` (the same round, back-off and
results as everywhere else), then an asyncio wait that `trigger()` (a report was sealed)
cuts short. HTTP inside a round goes through requests and urllib3, whose Emscripten
transport uses the browser's own HTTP stack from the worker.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

log = logging.getLogger("jaga.sync")


class AsyncioDriver:
    """Runs a SyncLoop (never .start()ed) on the event loop; stands in for its thread."""

    def __init__(self, loop, open_outbox: Callable[[], object],
                 after_round: Callable[[], Awaitable[None]] | None = None) -> None:
        self.loop, self.open_outbox, self.after_round = loop, open_outbox, after_round
        self._wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        loop.trigger = self.trigger          # syncing.trigger() reaches this loop's wake-up

    def trigger(self) -> None:
        self._wake.set()

    def start(self) -> "AsyncioDriver":
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())
        return self

    async def _run(self) -> None:
        while True:
            outbox = self.open_outbox()
            try:
                delay = self.loop.step(outbox)
            except Exception:                      # noqa: BLE001 - the loop must outlive a bad round
                log.exception("sync round failed")
                delay = self.loop.interval
            finally:
                outbox.close()
            if self.after_round is not None:
                await self.after_round()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
