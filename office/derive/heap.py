"""A derive process's heap, out of the cyclic garbage collector's way.

A derive batch allocates many small containers (the rings' report pairs, the link rows, the
prepared reports), and each collection they trigger that reaches the oldest generation
walks every object the process holds — the modules, the office app, the forms, the
settings, the caches — again. On bench/derive_bench.py that was a fifth of the one writer's
CPU per report (about 0.8 against 0.6 ms). `freeze_heap()`, once per process before its first
batch, collects what is garbage by then and moves the rest out of the collector's view
(gc.freeze, as forking servers do after start-up). Nothing is computed differently; objects
made later are collected as before. The price: an object alive at that moment that later
becomes part of a reference cycle is never collected — once per process, at most what the
process held then (refcounting still frees everything not in a cycle).
"""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_done: list[bool] = []


def freeze_heap() -> None:
    """Once per process (later calls do nothing): collect, then freeze what is left."""
    with _lock:
        if not _done:
            gc.collect()
            gc.freeze()
            _done.append(True)
