"""`python main.py device ...` — every device capability without a screen.

Thin: parse, call Device, print. PINs come from JAGA_PIN or a prompt, never argv
(argv is visible to every process on the phone and lands in shell history).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from core import cli
from core.errors import InsecureTransport, JagaError
from core.prompt import secret
from fieldapp.device import Device
from sync.ports import is_refusal


def read_pin(prompt: str = "PIN: ") -> str:
    return secret("JAGA_PIN", prompt, what="PIN")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaga-desa device", description="Jaga Desa field device (headless)")
    p.add_argument("--data", required=True, type=Path, help="the device's data folder")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("init", help="create the data folder and calibrate the PIN key derivation")
    a = sub.add_parser("add-user", help="add a local user (PIN from JAGA_PIN or prompt)")
    a.add_argument("--name", required=True)
    a.add_argument("--role", choices=["volunteer", "head"], default="volunteer")
    e = sub.add_parser("enroll", help="enroll a local user with the office using a one-time code")
    e.add_argument("--office", help="office address (optional when the code's QR content names it)")
    e.add_argument("--code", required=True, help="the code, or the whole QR content (jagadesa:enroll?...)")
    e.add_argument("--fingerprint", help="the office fingerprint printed beside the code")
    e.add_argument("--tls-pin", help="SHA-256 of the office's HTTPS certificate (when not in the QR)")
    e.add_argument("--insecure", action="store_true",
                   help="allow plain HTTP to an office on another machine (not recommended); "
                        "needs --plain-http-leaks-token too")
    e.add_argument("--plain-http-leaks-token", action="store_true",
                   help="with --insecure: I know anyone on the network path reads this phone's sync "
                        "token and can push, pull its inbox and delay its reports as this phone")
    e.add_argument("--user", required=True)
    f = sub.add_parser("file", help="file a report from a JSON answers file and seal it into the outbox")
    f.add_argument("--user", required=True)
    f.add_argument("--form", required=True)
    f.add_argument("--answers", required=True, type=Path)
    f.add_argument("--photo", action="append", type=Path, default=[], help="attach a photo (repeatable)")
    f.add_argument("--rahasia", action="store_true", help="confidential: only the immigration office can read it")
    f.add_argument("--lang", choices=["id", "en"], default="id")
    sub.add_parser("outbox", help="list reports and their state")
    sub.add_parser("status", help="device summary")
    sub.add_parser("sync", help="send the outbox and fetch the inbox (no PIN needed)")
    i = sub.add_parser("inbox", help="show reviews to do, feedback and office alerts for a user")
    i.add_argument("--user", required=True)
    r = sub.add_parser("review", help="village head: verify / dispute / ask for more info")
    r.add_argument("--user", required=True)
    r.add_argument("--item", required=True)
    r.add_argument("--verdict", required=True, choices=["verified", "disputed", "needs_more_info"])
    r.add_argument("--note", default="")
    c = sub.add_parser("reply", help="answer the office in a sent report's conversation (leaves with the next sync)")
    c.add_argument("--user", required=True)
    c.add_argument("--report", required=True, help="the report id (see `outbox`)")
    c.add_argument("--message", required=True)
    t = sub.add_parser("thread", help="a sent report's conversation: office messages and your replies")
    t.add_argument("--user", required=True)
    t.add_argument("--report", required=True)
    k = sub.add_parser("courier", help="no signal for days: reports travel in a file, carried by hand")
    kc = k.add_subparsers(dest="courier_cmd", required=True)
    ke = kc.add_parser("export", help="write every waiting report (and what this phone carries) to one file")
    ke.add_argument("--out", required=True, type=Path)
    kk = kc.add_parser("carry", help="take another phone's courier file into this phone's outbox")
    kk.add_argument("file", type=Path)
    kr = kc.add_parser("receipts", help="read the office's receipts file: purge what the office holds")
    kr.add_argument("file", type=Path)
    ko = kc.add_parser("receipts-out", help="write the receipts of what this phone carried, to take back")
    ko.add_argument("--out", required=True, type=Path)
    return p


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise JagaError(f"cannot read {path}: {exc.strerror}") from None


def _courier(args, dev: Device) -> None:
    """Thin over fieldapp.courier; no PIN: everything in these files is sealed or signed."""
    from core.errors import CourierDamaged
    from fieldapp import courier
    cmd = args.courier_cmd
    if cmd == "export":
        data, n = courier.export(dev)
        args.out.write_bytes(data)
        _out(args, {"reports": n, "bytes": len(data), "file": str(args.out)},
             f"{n} report(s) in {args.out} ({len(data)} bytes); they stay on this phone until the "
             "office's receipts come back")
    elif cmd == "carry":
        got = courier.carry(dev, _read(args.file))
        _out(args, courier.summary(got), f"{got.taken} report(s) taken to carry, {got.already} already here"
             + (f", {got.not_for_office} not for this phone's office" if got.not_for_office else ""))
        if got.damaged or got.truncated or got.photos_missing:
            raise CourierDamaged(f"the file was not whole ({got.damaged} damaged record(s)"
                                 f"{', cut off' if got.truncated else ''}, {got.photos_missing} photo(s) "
                                 "incomplete): what was whole was taken")
    elif cmd == "receipts":
        got = courier.take_receipts(dev, _read(args.file))
        _out(args, courier.summary(got), f"{got.purged} report(s) received by the office and purged, "
             f"{got.delivered} carried report(s) answered, {got.refused} refused, {got.incomplete} "
             f"waiting for photos, {got.not_trusted} not trusted, {dev.pending_count()} still waiting")
    else:
        data, n = courier.receipts_file(dev)
        args.out.write_bytes(data)
        _out(args, {"answers": n, "file": str(args.out)}, f"{n} receipt(s) in {args.out}")


def _out(args, data, text: str) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str) if args.json else text)


def _answers(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JagaError(f"cannot read answers from {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise JagaError(f"{path} must hold a JSON object of answers")
    return data


def _file(args, dev: Device) -> None:
    session = dev.unlock(args.user, read_pin())
    answers = _answers(args.answers)
    report_id = dev.new_draft(session, args.form, answers)
    photo_field = next((f.name for f in __import__("forms").load(args.form).fields if f.type == "photo"), None)
    for path in args.photo:
        att_id, _ = dev.add_photo(session, report_id, path.read_bytes())
        answers.setdefault(photo_field, []).append(att_id)
    dev.save_draft(session, report_id, answers)
    eid = dev.finalize(session, report_id, rahasia=args.rahasia, lang=args.lang)
    _out(args, {"report_id": report_id, "envelope_id": eid},
         f"sealed into the outbox: report {report_id} (envelope {eid})")


def _enroll(args, dev: Device) -> None:
    from sync.client import OfficeClient
    from sync.identity import short
    ticket = dev.ticket(args.code, fingerprint=args.fingerprint, office_url=args.office,
                        tls_sha256=args.tls_pin)
    if not ticket.office_url:
        raise JagaError("the office address is missing: pass --office or the whole QR content")
    if args.insecure and not args.plain_http_leaks_token:
        # One flag is too easy to copy from a how-to: plain HTTP hands the sync token to the path.
        raise InsecureTransport("--insecure alone is not enough: plain HTTP shows this phone's sync token "
                                "to everyone on the network path; add --plain-http-leaks-token if you "
                                "accept that, or use https://")
    session = dev.unlock(args.user, read_pin())
    client = OfficeClient(ticket.office_url, tls_sha256=ticket.tls_sha256, insecure=args.insecure)
    resp = client.enroll(**dev.enrollment_request(session, ticket))
    fp = dev.apply_enrollment(session, ticket, resp, insecure=args.insecure)
    _out(args, {**{k: v for k, v in resp.items() if k != "sync_token"}, "office_fingerprint_short": short(fp)},
         f"enrolled {session.label} as {resp['role']} of {resp.get('village_name')} (person {resp['person_id']}); "
         f"office fingerprint {short(fp)}")


class SyncFailed(JagaError):
    """A sync round stopped early; its stable code says why (sync_failed, unauthorized, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code or "sync_failed"


def _sync(args, dev: Device) -> None:
    from sync.client import OfficeClient
    from sync.runner import sync_round
    if not dev.sync_token:
        raise JagaError("this phone is not enrolled; run `device enroll` first")
    def progress(done: int, total: int, stage: str) -> None:
        if not args.json:
            print(f"  {stage}: {done}/{total}", file=sys.stderr)
    if not dev.office_url:
        raise JagaError("no office this phone's users have pinned; unlock once or enroll again")
    client = OfficeClient(dev.office_url, token=dev.sync_token, **dev.client_options())
    try:
        result = sync_round(dev, client, progress=progress)     # the app's SyncLoop runs the same
    finally:
        client.close()
    data = dict(result.__dict__)
    refused = {eid: code for eid, code in result.failed.items() if is_refusal(code)}
    if not result.ok:
        if args.json:
            _out(args, data, "")
        raise SyncFailed(result.error or "sync_failed",
                         f"sync stopped ({result.error}); {dev.pending_count()} report(s) still waiting, "
                         "last sync unchanged")
    text = (f"sync done: {result.received} received, {result.inbox} inbox item(s), "
            f"{dev.pending_count()} waiting")
    if refused:
        text += "".join(f"\nrefused by the office: envelope {e} ({c})" for e, c in refused.items())
    _out(args, data, text)


def _inbox(args, dev: Device) -> None:
    session = dev.unlock(args.user, read_pin())
    data = {"reviews": dev.review_items(session), "feedback": dev.feedback(session),
            "alerts": dev.alerts(session)}
    lines = [f"review {r['item_id']}: {r.get('form_id')} {r.get('state')}" for r in data["reviews"]]
    lines += [f"feedback {f['item_id']}: {f.get('message', f.get('error'))}" for f in data["feedback"]]
    lines += [f"alert {a['item_id']}: {a.get('message', a.get('error'))}" for a in data["alerts"]]
    _out(args, data, "\n".join(lines) or "inbox is empty")


def run(args) -> None:
    if args.cmd == "init":
        dev = Device.init(args.data)
        _out(args, dev.status(), f"device ready in {args.data}")
        return
    dev = Device(args.data)
    try:
        if args.cmd == "add-user":
            uid = dev.add_user(args.name, args.role, read_pin("New PIN: "))
            _out(args, {"user_id": uid}, f"user {args.name} ({args.role}) added")
        elif args.cmd == "file":
            _file(args, dev)
        elif args.cmd == "enroll":
            _enroll(args, dev)
        elif args.cmd == "sync":
            _sync(args, dev)
        elif args.cmd == "outbox":
            rows = dev.outbox()
            _out(args, rows, "\n".join(f"{r['id']}  {r['form_id']:<20} {r['state']:<9} {r['created_day']}"
                                       + (f"  courier {r['courier_day']}" if r["state"] == "courier" else "")
                                       + (f"  ({r['last_error']})" if r["last_error"] else "")
                                       for r in rows) or "outbox is empty")
        elif args.cmd == "status":
            st = dev.status()
            _out(args, st, "\n".join(f"{k}: {v}" for k, v in st.items()))
        elif args.cmd == "inbox":
            _inbox(args, dev)
        elif args.cmd == "review":
            session = dev.unlock(args.user, read_pin())
            eid = dev.review(session, args.item, args.verdict, args.note)
            _out(args, {"envelope_id": eid}, f"verdict sealed ({eid}); it leaves with the next sync")
        elif args.cmd == "reply":
            session = dev.unlock(args.user, read_pin())
            eid = dev.reply(session, args.report, args.message)
            _out(args, {"envelope_id": eid}, f"reply sealed ({eid}); it leaves with the next sync")
        elif args.cmd == "courier":
            _courier(args, dev)
        elif args.cmd == "thread":
            session = dev.unlock(args.user, read_pin())
            msgs = dev.thread(session, args.report)
            _out(args, msgs, "\n".join(f"{m['side']:<6} {m.get('kind') or m.get('state') or '':<10} "
                                       f"{m.get('message', m.get('error', ''))}" for m in msgs) or "no messages")
    finally:
        dev.close()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    os.umask(0o077)            # the store, its -wal/-shm and anything else we write: owner only
    try:
        run(args)
        return 0
    except JagaError as exc:
        return cli.fail(exc, 2)
