"""`jaga-desa demo` — the whole trip on one machine, seeded so a newcomer can click through.

Starts the office (API + dashboard) and the field app on the embedded SQLite default,
then — through the same headless commands a trainer would use — creates a village,
enrolls a volunteer and a village head on one shared phone, files example reports
offline, syncs them, and lets the head's inbox fill. Prints URLs, PINs and the staff
login. A second run reuses the data (use --fresh to start over).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.net import ServerDidNotStart, wait_http

# Real villages by their Kemendagri code (Kepmendagri 300.2.2-2138/2025), so hand-over tiers
# A and B, which place every report by its code, work on the demo as they do in an office.
VILLAGE, VILLAGE_CODE, REGION = "Aji Kuning", "65.03.12.2003", "Nunukan"     # kec. Sebatik Tengah
# A second village with its own phone: its volunteer names the same recruiter (his number
# written another way), so the signals page shows a link across villages at once.
VILLAGE_2, VILLAGE_2_CODE, VOLUNTEER_2 = "Sungai Nyamuk", "65.03.10.2001", ("Rina", "333333")  # kec. Sebatik Timur
VOLUNTEER, HEAD = ("Siti", "111111"), ("Pak Kades", "222222")
STAFF = (("admin", "admin", None), ("intel", "intel", REGION))
STAFF_PASSWORD = "jaga-demo-2026"
DEMO_OFFICE_KEY = "demo-office-key-not-for-production"
# Every step runs the installed package, never a file by path: the same from a checkout or a wheel.
JAGA = (sys.executable, "-m", "jaga_desa")


def _run(*args: str, pin: str | None = None, env: dict | None = None) -> str:
    e = {**os.environ, **(env or {})}
    if pin is not None:
        e["JAGA_PIN"] = pin
    proc = subprocess.run([*JAGA, *args], env=e,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"error [demo_step_failed]: jaga-desa {' '.join(args)}\n{proc.stderr.strip()}")
    return proc.stdout


def _wait(url: str, proc: subprocess.Popen, seconds: float) -> None:
    try:
        wait_http(url, proc, seconds, any_status=True)
    except ServerDidNotStart as exc:
        raise SystemExit(f"error [server_did_not_start]: {exc}") from None


def _seed(office: Path, phone: Path, office_url: str) -> None:
    adm = ("office-admin", "--data", str(office))
    _run(*adm, "add-village", "--code", VILLAGE_CODE, "--region", REGION)
    _run(*adm, "add-village", "--code", VILLAGE_2_CODE, "--region", REGION)
    for user, role, region in STAFF:
        _run(*adm, "add-staff", "--username", user, "--role", role, *(("--region", region) if region else ()),
             env={"JAGA_PASSWORD": STAFF_PASSWORD})
    dev = ("device", "--data", str(phone))
    _run(*dev, "init")
    for (name, pin), role in ((HEAD, "head"), (VOLUNTEER, "volunteer")):
        _run(*dev, "add-user", "--name", name, "--role", role, pin=pin)
        code = json.loads(_run(*adm, "enroll-code", "--village", VILLAGE, "--role", role,
                               "--name", name, "--json"))["enroll"]      # code + office fingerprint
        _run(*dev, "enroll", "--office", office_url, "--code", code, "--user", name, pin=pin)
    import forms
    with tempfile.TemporaryDirectory() as tmp:
        for form_id, rahasia in (("laporan_kecurigaan", False), ("keberangkatan_pmi", False),
                                 ("laporan_kecurigaan", True)):
            answers = forms.load(form_id).example()
            if rahasia:
                answers.update(rahasia="ya", tempat="Gudang dekat pelabuhan (rahasia)")
            path = Path(tmp) / "answers.json"
            path.write_text(json.dumps(answers))
            _run(*dev, "file", "--user", VOLUNTEER[0], "--form", form_id, "--answers", str(path),
                 pin=VOLUNTEER[1])
    print(_run(*dev, "outbox").rstrip())
    _run(*dev, "sync")      # sends the three reports, then pulls the head's review items
    _run(*dev, "sync")
    _seed_second_village(office, phone.parent / "phone-2", office_url)


def _seed_second_village(office: Path, phone: Path, office_url: str) -> None:
    """Rina in Sungai Nyamuk reports a departure organised by the same calo as in Siti's reports."""
    import forms
    adm = ("office-admin", "--data", str(office))
    dev = ("device", "--data", str(phone))
    name, pin = VOLUNTEER_2
    _run(*dev, "init")
    _run(*dev, "add-user", "--name", name, "--role", "volunteer", pin=pin)
    code = json.loads(_run(*adm, "enroll-code", "--village", VILLAGE_2, "--role", "volunteer",
                           "--name", name, "--json"))["enroll"]   # code + office fingerprint
    _run(*dev, "enroll", "--office", office_url, "--code", code, "--user", name, pin=pin)
    answers = forms.load("keberangkatan_pmi").example()
    answers.update(tempat_berangkat="Dermaga Sungai Nyamuk", jumlah_di_bawah_umur=0,
                   terlibat=[{"peran": "calo", "nama": "Udin", "telepon": "+62 812-3456-7890"},
                             {"peran": "sopir", "plat": "KT 1234 AB"}])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answers.json"
        path.write_text(json.dumps(answers))
        _run(*dev, "file", "--user", name, "--form", "keberangkatan_pmi", "--answers", str(path), pin=pin)
    _run(*dev, "sync")


def _offline_app(out: Path, office_url: str) -> tuple[str, list[str]]:
    """Build the installable offline app for the demo's office to serve at /app/ (best effort:
    the build needs npm the first time; without it the demo runs without /app/)."""
    from core.errors import JagaError
    from jaga_desa.offline.build import build_app
    try:
        build_app(out)
    except JagaError as exc:
        return f"  (offline app not built: {exc.message})", []
    return (f"  Offline app (Python in the browser; installable, works with no server):\n"
            f"                                             {office_url}/app/", ["--app-dir", str(out)])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="jaga-desa demo", description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("demo-data"),
                    help="where the demo keeps its office and phone data (default: ./demo-data)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--office-port", type=int, default=8765)
    ap.add_argument("--app-port", type=int, default=8550)
    ap.add_argument("--fresh", action="store_true", help="delete the demo data first")
    ap.add_argument("--no-serve", action="store_true", help="seed, sync, print and exit (for tests)")
    args = ap.parse_args(argv)
    if args.fresh and args.data.exists():
        shutil.rmtree(args.data)
    office, phone = args.data / "office", args.data / "phone"
    os.environ.setdefault("JAGA_OFFICE_KEY", DEMO_OFFICE_KEY)
    office_url = f"http://{args.host}:{args.office_port}"
    app_line, app_args = _offline_app(args.data / "app", office_url) if not args.no_serve else ("", [])
    procs = [subprocess.Popen([*JAGA, "office", "--data", str(office),
                               "--host", args.host, "--port", str(args.office_port), *app_args])]
    try:
        _wait(office_url + "/api/v1/health", procs[0], 60)
        if not (phone / "jaga.db").exists():
            print("seeding the demo: two villages, volunteer + head on one phone, a second phone, four reports …")
            _seed(office, phone, office_url)
            # search words and signals are derived after each push: have them all before "ready"
            _run("office", "derive", "--data", str(office), "--once")
        if not args.no_serve:
            procs.append(subprocess.Popen([*JAGA, "app", "--data", str(phone),
                                           "--host", args.host, "--port", str(args.app_port)]))
            _wait(f"http://{args.host}:{args.app_port}/", procs[1], 120)
        print(f"""
Jaga Desa demo is running.
  Field app (open in a phone-sized window):  http://{args.host}:{args.app_port}/
      volunteer  {VOLUNTEER[0]:<10} PIN {VOLUNTEER[1]}
      head       {HEAD[0]:<10} PIN {HEAD[1]}
      (a second phone in {VILLAGE_2}: {VOLUNTEER_2[0]}, PIN {VOLUNTEER_2[1]}, data {args.data / "phone-2"})
{app_line}
  Office dashboard:                          {office_url}/dashboard/
      admin / {STAFF_PASSWORD}    intel / {STAFF_PASSWORD} (region {REGION})
  Office API (OpenAPI):                      {office_url}/api/v1/docs
  Data: {args.data}   (JAGA_OFFICE_KEY is a demo key — never use it in production)
Press Ctrl-C to stop.""" if not args.no_serve else f"demo data ready in {args.data}")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while not args.no_serve and all(p.poll() is None for p in procs):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0
