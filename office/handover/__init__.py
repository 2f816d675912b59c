"""One Data hand-over: signed Frictionless data packages for partner agencies.

    export(conn, keys, tier="A"|"B"|"C", period=Period(start, end), out=PATH, ...)
    verify(PATH, expect_fingerprint=None)        what a recipient runs

Modules: source (reports from the store), questions (what may leave, per tier),
tiers (A/B/C rows), shuffle (tier B in the recipient's order), ledger (tier A release
ledger), codebook (+ IOM/ILO crosswalk, English region names), keys (per-recipient and
per-referral pseudonyms), package (CSV + datapackage.json + README + Ed25519 signature in
a zip), readme (the recipient's Python + cryptography recipe), verify, cli.
"""
from __future__ import annotations

from .errors import HandoverError, PackageInvalid, RegionCodeMissing
from .export import export
from .source import Period
from .verify import verify

__all__ = ["export", "verify", "Period", "HandoverError", "PackageInvalid", "RegionCodeMissing"]
