"""`handover`: export a signed data package, or verify one (what a recipient runs).

    handover export --data DIR [--db URL] --tier A|B|C --from YYYY-MM-DD --to YYYY-MM-DD
                    --out FILE.zip [--recipient AGENCY] [--k 11] [--include-rahasia]
                    [--report ID ...] [--reason TEXT] [--producer NAME] [--json]
    handover verify FILE.zip [--expect-key FINGERPRINT] [--json]
    handover correct --data DIR --week 2026-W48 --reason TEXT    tier A: a corrected version
    handover fingerprint --data DIR        the office fingerprint recipients check against

Whoever holds the office key passphrase (JAGA_OFFICE_KEY) is the office admin, so the
CLI may include rahasia reports and make tier C referrals; every export is audited.
Exit 0 on success; `error [code]: message` on stderr and exit 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from core import cli

from .errors import HandoverError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaga-desa handover",
                                description="One Data hand-over packages (Frictionless, signed)")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="build and sign a package for one tier and period")
    e.add_argument("--data", required=True, type=Path)
    e.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    e.add_argument("--tier", required=True, choices=["A", "B", "C", "a", "b", "c"])
    e.add_argument("--from", dest="start", type=_date, help="first day (received, UTC)")
    e.add_argument("--to", dest="end", type=_date, help="last day, inclusive")
    e.add_argument("--out", required=True, type=Path)
    e.add_argument("--recipient", help="the receiving agency (required for B and C)")
    e.add_argument("--k", type=int, default=11, help="tier A: smallest count published (default 11)")
    e.add_argument("--include-rahasia", action="store_true", help="admin: include rahasia reports in A/B")
    e.add_argument("--report", action="append", default=[], help="tier C: a report id (repeat)")
    e.add_argument("--reason", help="tier C: why these reports go to this agency")
    e.add_argument("--producer", default=os.environ.get("JAGA_OFFICE_NAME", "Kantor Imigrasi"),
                   help="the producing office's name (default: JAGA_OFFICE_NAME)")
    e.add_argument("--contact", help="contact address printed in the package (default: JAGA_OFFICE_CONTACT)")
    e.add_argument("--custodian", help="the data custodian, walidata (default: JAGA_HANDOVER_CUSTODIAN, "
                                       "else the producer)")
    e.add_argument("--json", action="store_true")
    v = sub.add_parser("verify", help="check a package's signature, hashes and schemas")
    v.add_argument("file", type=Path)
    v.add_argument("--expect-key", help="the office fingerprint you got out of band (ABCD-EFGH-…, as the office shows it)")
    v.add_argument("--json", action="store_true")
    c = sub.add_parser("correct", help="tier A: publish a corrected version of a released ISO week")
    c.add_argument("--data", required=True, type=Path)
    c.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    c.add_argument("--week", required=True, help="the ISO week, e.g. 2026-W48")
    c.add_argument("--reason", required=True, help="why: published as the correction notice")
    f = sub.add_parser("fingerprint", help="print the office key fingerprint for recipients")
    f.add_argument("--data", required=True, type=Path)
    return p


def _export(args) -> int:
    from office import db, keys as office_keys
    from .export import export
    from .source import Period
    tier = args.tier.upper()
    start, end = args.start, args.end
    if tier == "C":
        start, end = start or date(2000, 1, 1), end or date.today()
    elif start is None or end is None:
        raise HandoverError(f"tier {tier} needs --from and --to", f"tingkat {tier} perlu tanggal awal dan akhir")
    period = Period(start, end)
    keys = office_keys.load_or_create(args.data)
    engine = db.open_store(args.data, args.db)
    with engine.begin() as conn:
        out = export(conn, keys, tier=tier, period=period, out=args.out, producer=args.producer,
                     recipient=args.recipient, reason=args.reason, report_ids=args.report or None,
                     include_rahasia=args.include_rahasia, k=args.k, contact=args.contact,
                     custodian=args.custodian)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        extra = f", {out['cells_withheld']} cells under k={out['k']} withheld" if tier == "A" else ""
        print(f"tier {tier} package for {out['recipient']}: {out['rows']} rows{extra} -> {args.out}\n"
              f"sha256 {out['sha256']}")
    return 0


def _verify(args) -> int:
    from .verify import verify
    out = verify(args.file, args.expect_key)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    rows = ", ".join(f"{k} {v}" for k, v in out["rows"].items())
    print(f"OK: tier {out['tier']} package {out['package_id']} from {out['producer']} for "
          f"{out['recipient']} ({rows})")
    print(f"signed by office {out['key_fingerprint']}")
    if not out["fingerprint_checked"]:
        print("warning: key fingerprint not checked; compare it with the one the office gave you "
              "out of band, or pass --expect-key", file=sys.stderr)
    return 0


def _correct(args) -> int:
    from office import db
    from office.dashboard import audit
    from .ledger import correct
    engine = db.open_store(args.data, args.db)
    with engine.begin() as conn:
        out = correct(conn, args.week, args.reason, actor="cli")
        audit.record(conn, "handover_correct", staff=None, username="cli", target=out["week"],
                     detail=dict(out, reason=args.reason))
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _fingerprint(args) -> int:
    from office import keys as office_keys
    from sync.identity import grouped
    print(grouped(office_keys.public_fingerprint(args.data)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    return cli.run(lambda: {"export": _export, "verify": _verify, "correct": _correct,
                                     "fingerprint": _fingerprint}[args.cmd](args))


if __name__ == "__main__":
    sys.exit(main())
