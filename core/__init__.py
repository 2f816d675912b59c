"""Pieces every package shares: the error hierarchy, and `core.localtime` (UTC stored, local
time with its zone name shown).

Kept tiny on purpose: `forms`, `fieldapp` and `sync` may all import `core`,
and `core` imports none of them, so there can be no cycle through it.
"""
from core.errors import *  # noqa: F401,F403
