"""`office` and `office-admin`: thin commands over create_app and the store modules.

    office       --data DIR [--db URL] [--host H] [--port P] [--workers N]
                 [--tls-cert PEM --tls-key PEM] [--app-dir DIR] [--trusted-proxy IP]...
    office-admin --data DIR [--db URL] add-village --name NAME [--region R]
    office-admin --data DIR [--db URL] enroll-code --village V --role volunteer|head --name PERSON
                                       [--ttl-hours N] [--qr FILE.png] [--office-url URL]
                                       [--tls-cert PEM] [--json]
    office-admin --data DIR [--db URL] revoke (--person ID | --device ID)
    office-admin --data DIR [--db URL] add-staff --username U --role intel|admin [--region R]
    office-admin --data DIR [--db URL] deliver-webhooks --url URL   (secret: JAGA_WEBHOOK_SECRET)
    office-admin --data DIR [--db URL] api-token issue --username U [--days N] [--region R]... [--rahasia] [--free-text]
    office-admin --data DIR [--db URL] api-token list | revoke --id ID
    office-admin --data DIR [--db URL] expire-uploads [--older-than-hours N]
    office-admin --data DIR [--db URL] courier import FILE [--receipts-out FILE] [--json]

    office derive          --data DIR [--db URL] [--once] [--batch N] [--workers N]
    office status          --data DIR [--db URL] [--json]
    office rebuild-derived --data DIR [--db URL] --consumer NAME

`office derive` runs the derive worker standalone (the office process runs one itself
unless JAGA_DERIVE=off); `status` shows the derive queue per consumer; `rebuild-derived`
empties one derived store and derives it again from the stored envelopes.

Every admin command is written to the dashboard's audit log (user "cli:<os user>").

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

from core import cli
from core.errors import BadRequest, JagaError
from core.prompt import secret


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaga-desa")
    sub = p.add_subparsers(dest="command", required=True)
    office = sub.add_parser("office", help="run the office endpoint (FastAPI under uvicorn)")
    office.add_argument("--data", required=True, type=Path, help="data dir (keys, office.db)")
    office.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    office.add_argument("--host", default="127.0.0.1")
    office.add_argument("--port", type=int, default=8765)
    office.add_argument("--log-level", default="warning")
    office.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    office.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    office.add_argument("--tile-url", help="the office's own map tile server, e.g. "
                        "http://10.0.0.5/tiles/{z}/{x}/{y}.png (env JAGA_TILE_URL); without it the "
                        "dashboard map draws only the basemap shipped in the package")
    office.add_argument("--app-dir", type=Path, help="serve the offline field app built by "
                        "`jaga-desa build-app --out DIR` at /app/")
    office.add_argument("--trusted-proxy", action="append", default=None, metavar="IP_OR_NET",
                        help="believe X-Forwarded-For only from this reverse proxy (repeatable; env "
                             "JAGA_TRUSTED_PROXIES); by default from nobody")
    office.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes (SQLite WAL or PostgreSQL; see office/serve.py)")

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
    e.add_argument("--tls-cert", type=Path, help="the office's HTTPS certificate (PEM): phones pin it")
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
    t = cmds.add_parser("api-token", help="partner API tokens: issue, list, revoke one")
    tcmd = t.add_subparsers(dest="token_command", required=True)
    ti = tcmd.add_parser("issue", help="issue a token for a staff member (printed once)")
    ti.add_argument("--username", required=True)
    ti.add_argument("--label", default="partner")
    ti.add_argument("--days", type=int, default=90)
    ti.add_argument("--region", action="append", help="limit to this region (repeatable)")
    ti.add_argument("--rahasia", action="store_true", help="include rahasia reports")
    ti.add_argument("--free-text", action="store_true", help="include free-text answers")
    tcmd.add_parser("list", help="every token: id, owner, expiry, last use, state")
    tr = tcmd.add_parser("revoke", help="revoke one token by its id")
    tr.add_argument("--id", required=True)
    rc = cmds.add_parser("reclassify", help="mark a report rahasia (or --not-rahasia: take the mark off); "
                         "it then leaves hand-overs, the partner API and the roll-up copies")
    rc.add_argument("--report", required=True, help="the report's envelope id")
    rc.add_argument("--not-rahasia", action="store_true", help="take the rahasia mark off")
    x = cmds.add_parser("expire-uploads", help="discard unfinished attachment uploads")
    x.add_argument("--older-than-hours", type=float, default=72.0)
    k = cmds.add_parser("courier", help="courier files: reports carried by hand from villages without signal")
    kcmd = k.add_subparsers(dest="courier_command", required=True)
    ki = kcmd.add_parser("import", help="import a courier file (same checks as the push); write the receipts file")
    ki.add_argument("file", type=Path)
    ki.add_argument("--receipts-out", type=Path, help="where to write the receipts file "
                    "(default: FILE with .tanda-terima.json)")
    ki.add_argument("--json", action="store_true")
    return p


DERIVE_COMMANDS = ("derive", "status", "rebuild-derived")


def _derive_parser(cmd: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"jaga-desa office {cmd}")
    p.add_argument("--data", required=True, type=Path, help="data dir (keys, office.db)")
    p.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    if cmd == "derive":
        p.add_argument("--once", action="store_true", help="derive what is due, then exit")
        p.add_argument("--batch", type=int, default=100, help="reports per batch")
        p.add_argument("--workers", type=int, default=1,
                       help="processes in all: one writes, N-1 open and read the next batch (default 1)")
    elif cmd == "status":
        p.add_argument("--json", action="store_true")
    else:
        p.add_argument("--consumer", required=True, help="search | early_warning | rollup_links | webhooks")
    return p


def _office_keys(data: Path):
    from office import keys as office_keys
    if not (Path(data) / office_keys.KEY_FILE).exists():
        from core.errors import OfficeKeyError
        raise OfficeKeyError(f"no office keys in {data}: start the office there once first")
    return office_keys.load_or_create(data, office_keys.passphrase_from_env_or_prompt())


def _derive_command(cmd: str, argv: list[str]) -> int:
    from office import db
    from office.derive import queue, worker
    args = _derive_parser(cmd).parse_args(argv)
    if not (args.db or (Path(args.data) / "office.db").exists()):
        raise BadRequest(f"no office store in {args.data}")
    engine = db.open_store(args.data, args.db)
    if cmd == "status":
        with db.reading(engine) as conn:
            jobs = queue.pending(conn)
        if args.json:
            print(json.dumps({"derive": jobs}, sort_keys=True))
        elif not jobs:
            print("derive: nothing queued")
        for name, j in sorted(jobs.items()):
            if not args.json:
                print(f"derive {name}: {j['queued']} queued, {j['failing']} failing"
                      + (f", oldest due {j['oldest_due']}" if j["queued"] else "")
                      + (f", last error: {j['last_error']}" if j["last_error"] else ""))
        return 1 if any(j["failing"] for j in jobs.values()) else 0
    if cmd == "rebuild-derived":
        from office.derive import registry
        from office.derive.rebuild import rebuild
        registry.get(args.consumer)          # an unknown name fails before the key is asked for
        keys = _office_keys(args.data)
        n = rebuild(engine, args.consumer)
        done = worker.exhaust(engine, keys, timeout=24 * 3600)
        print(f"rebuilt {args.consumer}: {n} reports queued, {done} jobs derived")
        return 0
    if args.batch < 1:
        raise BadRequest("--batch must be at least 1")
    if not 1 <= args.workers <= 64:
        raise BadRequest("--workers must be between 1 and 64")
    keys = _office_keys(args.data)
    from office.derive import registry
    jobs = args.batch * len(registry.names())     # a batch is counted in jobs: one per report and consumer
    if args.once:
        print(f"derived {worker.exhaust(engine, keys, batch=jobs, workers=args.workers, timeout=24 * 3600)} jobs")
        return 0
    print("derive worker running (Ctrl-C stops it)", file=sys.stderr, flush=True)
    try:
        worker.Worker(engine, keys, batch=jobs, workers=args.workers).run_forever()
    except KeyboardInterrupt:
        worker.release_lease(engine)
    return 0


def _engine(args):
    from office import db
    return db.open_store(args.data, args.db)


def _run_office(args) -> int:
    from sync.identity import grouped, short
    from office import serve
    from office.keys import public_fingerprint
    if args.workers < 1:
        raise BadRequest("--workers must be at least 1")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise JagaError("--tls-cert and --tls-key go together")
    tls = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)} if args.tls_cert else {}
    if tls:
        print(f"TLS certificate SHA-256 (phones pin it): {_cert_sha256(args.tls_cert)}",
              file=sys.stderr, flush=True)
    if args.trusted_proxy is not None:      # every worker reads it from the environment too
        os.environ[serve.TRUSTED_PROXIES_ENV] = ",".join(serve.trusted_proxies(args.trusted_proxy))
    serve.trusted_proxies()                 # a bad JAGA_TRUSTED_PROXIES stops start-up here
    if args.tile_url:           # every worker reads it from the environment it inherits
        from office.dashboard import basemap
        os.environ[basemap.TILE_ENV] = basemap.check_tile_url(args.tile_url)
    if args.app_dir:            # every worker reads it from the environment it inherits
        from office import offline_app
        os.environ[offline_app.APP_ENV] = str(offline_app.check_dir(args.app_dir).resolve())
    fp = public_fingerprint(args.data)
    print(f"office fingerprint: {grouped(fp)}  (short: {short(fp)})", file=sys.stderr, flush=True)
    print(f"office listening on {'https' if tls else 'http'}://{args.host}:{args.port}/api/v1"
          + (f" ({args.workers} workers)" if args.workers > 1 else ""), file=sys.stderr, flush=True)
    if args.app_dir:
        print(f"offline field app: {'https' if tls else 'http'}://{args.host}:{args.port}/app/",
              file=sys.stderr, flush=True)
    serve.run(args.data, args.db, host=args.host, port=args.port, workers=args.workers,
              log_level=args.log_level, tls=tls)
    return 0


def _cert_sha256(path: Path) -> str:
    """SHA-256 of the certificate's DER bytes — what a phone pins (sync/identity.py)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from sync.identity import cert_sha256
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise JagaError(f"cannot read the TLS certificate {path}: {exc}") from exc
    return cert_sha256(cert.public_bytes(Encoding.DER))


def _password() -> str:
    return secret("JAGA_PASSWORD", "Password: ", what="password", confirm=True)


def _cli_audit(conn, action: str, target: str | None = None, detail: dict | None = None) -> None:
    """Admin actions from the command line land in the same audit log as the dashboard's,
    under the operating-system user who ran them (there is no staff session here)."""
    from office.dashboard import audit
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    audit.record(conn, action, username=f"cli:{who}"[:100], target=(target or "")[:64] or None,
                 detail={"via": "cli", **(detail or {})})


def _tokens(conn, args) -> None:
    from office.dashboard import auth
    from office.schema import staff as staff_table
    from sqlalchemy import select
    if args.token_command == "issue":
        sid = conn.execute(select(staff_table.c.id).where(staff_table.c.username == args.username)).scalar()
        if sid is None:
            from core.errors import NotFound
            raise NotFound(f"no staff member {args.username!r}")
        token = auth.issue_api_token(conn, sid, args.label, days=args.days, regions=args.region,
                                     rahasia=args.rahasia, free_text=args.free_text)
        tid = auth.token_id(auth._sha(token))
        _cli_audit(conn, "api_token", str(sid), {"token": tid, "days": args.days, "regions": args.region,
                                                 "rahasia": args.rahasia, "free_text": args.free_text})
        print(token)
    elif args.token_command == "list":
        tokens = auth.list_api_tokens(conn)
        _cli_audit(conn, "list_api_tokens", None, {"tokens": len(tokens)})
        print(json.dumps(tokens, indent=1))
    else:
        auth.revoke_api_token(conn, args.id)
        _cli_audit(conn, "revoke_api_token", args.id)
        print(f"revoked token {args.id}")


def _courier_import(args, engine) -> int:
    """Import a courier file, write its receipts file, then say what was not whole: a damaged
    or cut-off file still imports everything whole and exits non-zero (courier_damaged)."""
    from core.errors import CourierDamaged
    from office import courier
    from office.keys import load_or_create
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise JagaError(f"cannot read {args.file}: {exc.strerror}") from None
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    done = courier.import_file(engine, load_or_create(args.data), data, username=f"cli:{who}"[:100])
    out = args.receipts_out or args.file.with_name(args.file.stem + ".tanda-terima.json")
    out.write_bytes(done.receipts)
    counts = {**done.counts(), "receipts_file": str(out)}
    print(json.dumps(counts) if args.json else
          f"{counts['envelopes']} report(s): {counts['accepted']} new, {counts['duplicate']} already held, "
          f"{sum(counts['refused'].values())} refused {counts['refused'] or ''}\nreceipts file: {out} "
          "(take it back to the phone, or it arrives with the phone's next sync)")
    if not done.whole:
        raise CourierDamaged(done.not_whole())
    return 0


def _admin(args) -> int:
    from office import enrollment, staff
    engine = _engine(args)
    cmd = args.admin_command
    if cmd == "deliver-webhooks":
        from office.warning import webhook
        secret = os.environ.get("JAGA_WEBHOOK_SECRET", "")
        out = webhook.deliver_pending(engine, webhook.Webhook(args.url, secret.encode()))
        with engine.begin() as conn:
            _cli_audit(conn, "deliver_webhooks", None, {"url": args.url[:200], **out})
        print(json.dumps(out) if args.json else f"sent {out['sent']}, failed {out['failed']}")
        return 0 if not out["failed"] else 1
    if cmd == "courier":
        return _courier_import(args, engine)
    if cmd == "add-staff":
        password = _password()
        with engine.begin() as conn:
            sid = staff.create_staff(conn, args.username, password, args.role, args.region)
            _cli_audit(conn, "add_staff", str(sid), {"username": args.username, "role": args.role})
        print(f"staff {args.username} ({args.role}) created, id {sid}")
        return 0
    with engine.begin() as conn:
        if cmd == "add-village" and args.code:
            from office import village_codes
            out = village_codes.add(conn, args.code, args.region)
            _cli_audit(conn, "add_village", str(out["id"]), {"code": out["kode_wilayah"], "name": out["name"][:200]})
            print(json.dumps(out) if args.json else
                  f"village {out['id']}: {out['name']} ({out['kode_wilayah']}, {out['label']})")
        elif cmd == "add-village":
            vid = enrollment.add_village(conn, args.name, args.region)
            _cli_audit(conn, "add_village", str(vid), {"name": args.name[:200]})
            print(json.dumps({"id": vid, "name": args.name, "region": args.region})
                  if args.json else f"village {vid}: {args.name}")
        elif cmd == "set-village-code":
            from office import village_codes
            out = village_codes.assign(conn, args.village, args.code)
            _cli_audit(conn, "set_village_code", str(out["id"]), {"code": out["kode_wilayah"],
                                                                  "old_name": out["old_name"][:200],
                                                                  "name": out["name"][:200]})
            print(json.dumps(out) if args.json else
                  f"village {out['id']}: {out['old_name']} -> {out['name']} ({out['kode_wilayah']})")
        elif cmd == "find-village":
            from office import regions
            for r in regions.villages(args.under, args.query, limit=50):
                print(f"{r.code}  {regions.label(r.code)}")
        elif cmd == "enroll-code":
            from office.keys import public_fingerprint
            out = enrollment.create_code(
                conn, village=args.village, role=args.role, name=args.name, ttl_hours=args.ttl_hours,
                fingerprint=public_fingerprint(args.data), office_url=args.office_url,
                tls_sha256=_cert_sha256(args.tls_cert) if args.tls_cert else None)
            _cli_audit(conn, "enroll_code", str(out.get("village_id", args.village)),
                       {"role": args.role, "name": args.name[:200]})
        elif cmd == "revoke":
            if args.person:
                enrollment.revoke_person(conn, args.person)
                _cli_audit(conn, "revoke_person", args.person)
            else:
                enrollment.revoke_device(conn, args.device)
                _cli_audit(conn, "revoke_device", args.device)
            print(f"revoked {'person' if args.person else 'device'} {args.person or args.device}")
        elif cmd == "api-token":
            _tokens(conn, args)
        elif cmd == "reclassify":
            from office.dashboard import reclassify
            want = not args.not_rahasia
            changed = reclassify.set_rahasia(conn, None, None, args.report, want)
            if changed:
                _cli_audit(conn, "reclassify", args.report, {"rahasia": want})
            print(f"report {args.report[:36]}: {'rahasia' if want else 'not rahasia'}"
                  + ("" if changed else " (already)"))
        elif cmd == "expire-uploads":
            from datetime import timedelta
            from office.ingest import expire_uploads
            n = expire_uploads(conn, timedelta(hours=args.older_than_hours))
            _cli_audit(conn, "expire_uploads", None, {"reset": n, "older_than_hours": args.older_than_hours})
            print(f"{n} unfinished upload(s) discarded")
    if cmd == "enroll-code":
        if args.qr:
            import qrcode
            qrcode.make(out["enroll"]).save(str(args.qr))
            out["qr"] = str(args.qr)
        if args.json:
            print(json.dumps(out))
        else:
            print(f"{out['code']}  for {out['name']} ({out['role']}, {out['village_name']}), "
                  f"valid until {out['expires_at']}\n"
                  f"office fingerprint: {out['fingerprint']}  (short: {out['fingerprint_short']})"
                  + (f"\nTLS certificate SHA-256: {out['tls_sha256']}" if out.get("tls_sha256") else "")
                  + f"\nQR content: {out['enroll']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 2 and argv[0] == "office" and argv[1] in DERIVE_COMMANDS:
        return cli.run(lambda: _derive_command(argv[1], argv[2:]))
    args = _parser().parse_args(argv)
    return cli.run(lambda: _run_office(args) if args.command == "office" else _admin(args))


if __name__ == "__main__":
    sys.exit(main())
