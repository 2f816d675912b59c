"""How every command ends when it refuses: one line `error [code]: message` on stderr and
a non-zero exit, the same for the phone's, the office's and the hand-over commands (the
stable code is what scripts and operators match on; the message is for people)."""
from __future__ import annotations

import sys
from typing import Callable

from core.errors import JagaError


def fail(exc: JagaError, status: int = 1) -> int:
    """Print `exc` as the one error line and return the exit status for it."""
    print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
    return status


def run(command: Callable[[], int], status: int = 1) -> int:
    """`command()`'s exit status; a JagaError becomes the error line and `status`, Ctrl-C 130."""
    try:
        return command()
    except JagaError as exc:
        return fail(exc, status)
    except KeyboardInterrupt:
        return 130
