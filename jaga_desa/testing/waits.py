"""Wait on a condition with a deadline, never a fixed sleep: the test goes on the moment
the condition holds, and fails with `what` when it never does."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 10.0, what: str = "the condition",
               *, pause: Callable[[float], None] = time.sleep, every: float = 0.05) -> T:
    """Poll `condition()` until it returns something truthy (which is returned); raise
    AssertionError after `timeout` seconds. `pause` lets a browser test keep Playwright's
    event loop turning (pass `lambda s: page.wait_for_timeout(s * 1000)`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        pause(every)
