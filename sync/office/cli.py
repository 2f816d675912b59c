"""`office` and `office-admin`: thin commands over create_app and the store modules.

    office       --data DIR [--db URL] [--host H] [--port P] [--workers N]
    office-admin --data DIR [--db URL] add-village --name NAME [--region R]
    office-admin --data DIR [--db URL] enroll-code --village V --role volunteer|head --name PERSON
                                       [--ttl-hours N] [--qr FILE.png] [--office-url URL] [--json]
    office-admin --data DIR [--db URL] revoke (--person ID | --device ID)
    office-admin --data DIR [--db URL] add-staff --username U --role intel|admin [--region R]
    office-admin --data DIR [--db URL] deliver-webhooks --url URL   (secret: JAGA_WEBHOOK_SECRET)

main.py calls main(argv) with the subcommand name first. Passwords come from
JAGA_PASSWORD or a prompt, the office key passphrase from JAGA_OFFICE_KEY or a prompt,
never from argv. Exit 0 on success, 1 with a one-line message on stderr otherwise.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from core.errors import JagaError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaga-desa")
    sub = p.add_subparsers(dest="command", required=True)
    office = sub.add_parser("office", help="run the office endpoint (FastAPI under uvicorn)")
    office.add_argument("--data", required=True, type=Path, help="data dir (keys, office.db)")
    office.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    office.add_argument("--host", default="127.0.0.1")
    office.add_argument("--port", type=int, default=8765)
    office.add_argument("--log-level", default="warning")
    office.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes (SQLite WAL or PostgreSQL; see sync/office/serve.py)")

    admin = sub.add_parser("office-admin", help="administer villages, enrollment codes, staff")
    admin.add_argument("--data", required=True, type=Path)
    admin.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    cmds = admin.add_subparsers(dest="admin_command", required=True)
    v = cmds.add_parser("add-village", help="add a village (by its Kemendagri code: --code)")
    pick = v.add_mutually_exclusive_group(required=True)
    pick.add_argument("--code", help="kode wilayah desa/kelurahan, e.g. 65.03.01.2001 (name from the list)")
    pick.add_argument("--name", help="free name without a code (blocks tier A/B hand-overs)")
    v.add_argument("--region")
    v.add_argument("--json", action="store_true")
    vc = cmds.add_parser("set-village-code", help="give an existing village its Kemendagri code")
    vc.add_argument("--village", required=True, help="village id or name")
    vc.add_argument("--code", required=True)
    vc.add_argument("--json", action="store_true")
    fv = cmds.add_parser("find-village", help="search the Kemendagri reference list")
    fv.add_argument("query", nargs="?", default="", help="part of a village name")
    fv.add_argument("--under", default="", help="code prefix, e.g. 65.03 (Nunukan)")
    e = cmds.add_parser("enroll-code", help="issue a one-time enrollment code")
    e.add_argument("--village", required=True, help="village id or name")
    e.add_argument("--role", required=True, choices=["volunteer", "head"])
    e.add_argument("--name", required=True, help="the person's name")
    e.add_argument("--ttl-hours", type=float, default=72.0)
    e.add_argument("--qr", type=Path, help="also write the code as a QR PNG")
    e.add_argument("--office-url", help="put the office URL in the QR code too")
    e.add_argument("--json", action="store_true")
    r = cmds.add_parser("revoke", help="revoke a person or a (lost) device")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--person")
    who.add_argument("--device")
    s = cmds.add_parser("add-staff", help="add a dashboard account (password: JAGA_PASSWORD or prompt)")
    s.add_argument("--username", required=True)
    s.add_argument("--role", required=True, choices=["intel", "admin"])
    s.add_argument("--region")
    w = cmds.add_parser("deliver-webhooks", help="push undelivered early-warning signals to a partner "
                                                  "(signed; secret from JAGA_WEBHOOK_SECRET)")
    w.add_argument("--url", required=True)
    w.add_argument("--json", action="store_true")
    return p


def _engine(args):
    from sync.office import db
    args.data.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(args.db or db.sqlite_url(args.data))
    db.migrate(engine)
    return engine


def _run_office(args) -> int:
    from sync.office import serve
    if args.workers < 1:
        raise JagaError("--workers must be at least 1")
    print(f"office listening on http://{args.host}:{args.port}/api/v1"
          + (f" ({args.workers} workers)" if args.workers > 1 else ""), file=sys.stderr, flush=True)
    serve.run(args.data, args.db, host=args.host, port=args.port, workers=args.workers,
              log_level=args.log_level)
    return 0


def _password() -> str:
    value = os.environ.get("JAGA_PASSWORD")
    if value:
        return value
    if not sys.stdin.isatty():
        raise JagaError("set JAGA_PASSWORD or run from a terminal to be prompted")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise JagaError("passwords differ")
    return first


def _admin(args) -> int:
    from sync.office import enrollment, staff
    engine = _engine(args)
    cmd = args.admin_command
    if cmd == "deliver-webhooks":
        from sync.office.warning import webhook
        secret = os.environ.get("JAGA_WEBHOOK_SECRET", "")
        out = webhook.deliver_pending(engine, webhook.Webhook(args.url, secret.encode()))
        print(json.dumps(out) if args.json else f"sent {out['sent']}, failed {out['failed']}")
        return 0 if not out["failed"] else 1
    if cmd == "add-staff":
        password = _password()
        with engine.begin() as conn:
            sid = staff.create_staff(conn, args.username, password, args.role, args.region)
        print(f"staff {args.username} ({args.role}) created, id {sid}")
        return 0
    with engine.begin() as conn:
        if cmd == "add-village" and args.code:
            from sync.office import village_codes
            out = village_codes.add(conn, args.code, args.region)
            print(json.dumps(out) if args.json else
                  f"village {out['id']}: {out['name']} ({out['kode_wilayah']}, {out['label']})")
        elif cmd == "add-village":
            vid = enrollment.add_village(conn, args.name, args.region)
            print(json.dumps({"id": vid, "name": args.name, "region": args.region})
                  if args.json else f"village {vid}: {args.name}")
        elif cmd == "set-village-code":
            from sync.office import village_codes
            out = village_codes.assign(conn, args.village, args.code)
            print(json.dumps(out) if args.json else
                  f"village {out['id']}: {out['old_name']} -> {out['name']} ({out['kode_wilayah']})")
        elif cmd == "find-village":
            from sync.office import regions
            for r in regions.villages(args.under, args.query, limit=50):
                print(f"{r.code}  {regions.label(r.code)}")
        elif cmd == "enroll-code":
            out = enrollment.create_code(conn, village=args.village, role=args.role,
                                         name=args.name, ttl_hours=args.ttl_hours)
        elif cmd == "revoke":
            if args.person:
                enrollment.revoke_person(conn, args.person)
            else:
                enrollment.revoke_device(conn, args.device)
            print(f"revoked {'person' if args.person else 'device'} {args.person or args.device}")
    if cmd == "enroll-code":
        if args.qr:
            import qrcode
            text = out["code"] if not args.office_url else \
                f"jagadesa:enroll?office={args.office_url}&code={out['code']}"
            qrcode.make(text).save(str(args.qr))
            out["qr"] = str(args.qr)
        if args.json:
            print(json.dumps(out))
        else:
            print(f"{out['code']}  for {out['name']} ({out['role']}, {out['village_name']}), "
                  f"valid until {out['expires_at']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return _run_office(args) if args.command == "office" else _admin(args)
    except JagaError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
