"""One Data hand-over: signed Frictionless data packages for partner agencies.

    export(conn, keys, tier="A"|"B"|"C", period=Period(start, end), out=PATH, ...)
    verify(PATH, expect_fingerprint=None)        what a recipient runs

Modules: source (reports from the store), questions (what may leave, per tier),
tiers (A/B/C rows), codebook (+ IOM/ILO crosswalk), keys (per-recipient pseudonyms),
package (CSV + datapackage.json + Ed25519 signature in a zip), verify, cli.
"""
from __future__ import annotations

from .errors import HandoverError, PackageInvalid, RegionCodeMissing
from .export import export
from .source import Period
from .verify import verify

__all__ = ["export", "verify", "Period", "HandoverError", "PackageInvalid", "RegionCodeMissing"]
