"""Secrets a person types — PINs, staff passwords, the office key passphrase: from an
environment variable in scripts and tests, from a hidden terminal prompt otherwise, never
from argv (which other users of the machine can read in the process list). One function,
so the three commands that need one behave the same."""
from __future__ import annotations

import getpass
import os
import sys

from core.errors import JagaError


def secret(env_var: str, prompt: str, *, what: str, confirm: bool = False,
           error: type[JagaError] = JagaError) -> str:
    """`$env_var` if set and non-empty; else a hidden prompt (typed twice with `confirm`)
    when stdin is a terminal; else `error` saying how to provide it. Empty input is refused."""
    value = os.environ.get(env_var)
    if value:
        return value
    if not sys.stdin.isatty():
        raise error(f"no {what}: set {env_var} or run from a terminal to be prompted")
    value = getpass.getpass(prompt)
    if not value:
        raise error(f"no {what} given")
    if confirm and value != getpass.getpass("Again: "):
        raise error(f"the two {what}s differ")
    return value
