"""Pieces every package shares: the error hierarchy and nothing else.

Kept tiny on purpose: `forms`, `fieldapp` and `sync` may all import `core`,
and `core` imports none of them, so there can be no cycle through it.
"""
from core.errors import *  # noqa: F401,F403
