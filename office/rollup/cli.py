"""`jaga-desa rollup`: set up, check and repair the Kanim -> Kanwil -> Ditjen chain.

    rollup office-setup --url SUPERUSER_URL --office-db DB --code NNK --local-conninfo CONNINFO
                        [--region-role jaga_region]
    rollup region-setup --url SUPERUSER_URL [--db region] [--level region|national]
                        --office NNK='host=.. port=.. dbname=share_nnk user=jaga_region' ...
    rollup publish-onward --url SUPERUSER_URL [--db region] --code NNK ...    (region -> national)
    rollup national-login --url SUPERUSER_URL [--db region] [--role jaga_national]   the login national uses
    rollup check  --url SUPERUSER_URL --db DB          exit 1 when a slot or subscription needs care
    rollup enable --url SUPERUSER_URL [--db national] [--level national] --code NNK ...   after an upstream restart
    rollup resync --url SUPERUSER_URL [--db region] [--level region] --code NNK --conninfo CONNINFO
    rollup repair-share --url SUPERUSER_URL --office-db DB --code NNK --local-conninfo CONNINFO
                                                  a lost share-DB slot (office cluster): new slot, copy again
    rollup dashboard --db URL [--port 8780] [--zone WITA] [--days 14] [--warning-settings FILE]
                                                                     read-only regional/national page
    rollup demo   two offices feed a region on three throwaway local clusters

    rollup rotate-key --url SUPERUSER_URL --office-db DB --code NNK [--level-key-file FILE]
                                                  a new level key at one office (then restart it)

Every command prints each step (`ok` = already there, `create` + the SQL, passwords and
keys masked) and can be run again safely. No secret is ever taken from argv (a password
in --url or a conninfo is refused): passwords come from JAGA_ROLLUP_PASSWORD (the regional
login's, added to conninfo strings that lack one) or libpq (PGPASSWORD, ~/.pgpass), the
level key from --level-key-file, JAGA_ROLLUP_LEVEL_KEY_FILE or JAGA_ROLLUP_LEVEL_KEY (hex,
the same for every office of a level).
"""
from __future__ import annotations

import argparse
import os
import re
import sys

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from core.errors import JagaError

from . import health, levelkey, setup
from .names import RollupError

PASSWORD_ENV = "JAGA_ROLLUP_PASSWORD"


def _with_password(conninfo: str) -> str:
    pw = os.environ.get(PASSWORD_ENV)
    if pw and "password=" not in conninfo:
        return f"{conninfo} password={pw}"
    return conninfo


_PASSWORD_IN_CONNINFO = re.compile(r"(^|\s)password\s*=", re.I)


def _no_secrets(args: argparse.Namespace) -> None:
    """Every process on the machine can read another's argv (ps, /proc): a password or key
    there is a password or key given away. They come from the environment, a file, or a
    libpq password file instead."""
    url = getattr(args, "url", None) or getattr(args, "db", None)
    if isinstance(url, str) and "://" in url and make_url(url).password is not None:
        raise RollupError("a password in --url is readable by every user of this machine (ps): leave it out and "
                          "set PGPASSWORD or a ~/.pgpass line instead")
    for flag in ("local_conninfo", "conninfo", "office"):
        values = getattr(args, flag, None)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and _PASSWORD_IN_CONNINFO.search(value):
                raise RollupError(f"a password in --{flag.replace('_', '-')} is readable by every user of this "
                                  f"machine (ps): leave it out and set {PASSWORD_ENV} (the regional login's) or use "
                                  f"the server's socket (host=/var/run/postgresql user=postgres)")


def _offices(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        code, sep, conninfo = item.partition("=")
        if not sep or not conninfo.strip():
            raise RollupError(f"--office {item!r}: write CODE='host=... dbname=share_code user=...'")
        out[code.strip()] = _with_password(conninfo.strip())
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jaga-desa rollup", description="roll-up on PostgreSQL logical replication")
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("office-setup", help="share table, publication, share DB, regional login (office cluster)")
    o.add_argument("--url", required=True, help="SQLAlchemy URL of a superuser on the office cluster")
    o.add_argument("--office-db", required=True)
    o.add_argument("--code", required=True)
    o.add_argument("--local-conninfo", required=True, help="how the share DB reaches the office DB (same cluster)")
    o.add_argument("--region-role", default="jaga_region")
    o.add_argument("--keep-connect", action="append", default=[], metavar="ROLE",
                   help="a role that must keep connecting to the office DB (the app's login); the owner always does")
    o.add_argument("--level-key-file", metavar="FILE", help="the level key (64 hex digits); default "
                   f"${levelkey.FILE_ENV}, else ${levelkey.ENV}")
    k = sub.add_parser("rotate-key", help="replace the level key at one office (do it at every office of the level)")
    k.add_argument("--url", required=True, help="SQLAlchemy URL of a superuser on the office cluster")
    k.add_argument("--office-db", required=True)
    k.add_argument("--code", required=True)
    k.add_argument("--level-key-file", metavar="FILE", help="the NEW level key; default "
                   f"${levelkey.FILE_ENV}, else ${levelkey.ENV}")
    r = sub.add_parser("region-setup", help="per-office tables and subscriptions (region or national cluster)")
    r.add_argument("--url", required=True)
    r.add_argument("--db", default="region")
    r.add_argument("--level", default="region", choices=["region", "national"])
    r.add_argument("--office", action="append", default=[], metavar="CODE=CONNINFO")
    w = sub.add_parser("publish-onward", help="publish the region's office tables to the national level")
    w.add_argument("--url", required=True)
    w.add_argument("--db", default="region")
    w.add_argument("--code", action="append", default=[])
    n = sub.add_parser("national-login", help="the login national's subscriptions use at the region (region cluster)")
    n.add_argument("--url", required=True, help="SQLAlchemy URL of a superuser on the region cluster")
    n.add_argument("--db", default="region")
    n.add_argument("--role", default="jaga_national", help=f"password: ${PASSWORD_ENV}")
    c = sub.add_parser("check", help="slots, subscriptions and settings; exit 1 on trouble")
    c.add_argument("--url", required=True)
    c.add_argument("--db", required=True)
    c.add_argument("--region-role", help="on an office cluster: check pg_hba keeps this login out of --db")
    s = sub.add_parser("resync", help="copy one office again from scratch")
    s.add_argument("--url", required=True)
    s.add_argument("--db", default="region")
    s.add_argument("--level", default="region", choices=["region", "national"])
    s.add_argument("--code", required=True)
    s.add_argument("--conninfo", required=True)
    h = sub.add_parser("repair-share", help="find and repair a lost share-DB slot (office cluster)")
    h.add_argument("--url", required=True, help="SQLAlchemy URL of a superuser on the office cluster")
    h.add_argument("--office-db", required=True)
    h.add_argument("--code", required=True)
    h.add_argument("--local-conninfo", required=True, help="how the share DB reaches the office DB (same cluster)")
    d = sub.add_parser("dashboard", help="read-only regional/national dashboard (counts, cross-office signals)")
    d.add_argument("--db", required=True, help="SQLAlchemy URL of the region/national database, no user or password "
                   "(people log in with their own jaga_viewer login)")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8780)
    d.add_argument("--zone", choices=["WIB", "WITA", "WIT"], help="the zone people read (default JAGA_TZ, this machine)")
    d.add_argument("--days", type=int, default=14, help="cross-office window in days (the warning rule's 14)")
    d.add_argument("--warning-settings", metavar="FILE",
                   help="early-warning settings JSON, as an office's warning.json (weekly-spike thresholds)")
    e = sub.add_parser("enable", help="start subscriptions stopped by a lost connection (upstream restarted)")
    e.add_argument("--url", required=True)
    e.add_argument("--db", default="region")
    e.add_argument("--level", default="region", choices=["region", "national"])
    e.add_argument("--code", action="append", default=[], required=True)
    sub.add_parser("demo", help="two offices feed a region on throwaway local clusters")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        _no_secrets(args)
        if args.cmd == "demo":
            from .demo import main as demo
            return demo()
        if args.cmd == "dashboard":
            from office.warning.config import WarningConfig

            from .dashboard import serve
            warning = WarningConfig.from_file(args.warning_settings) if args.warning_settings else None
            return serve(args.db, host=args.host, port=args.port, zone=args.zone, days=args.days, warning=warning)
        if args.cmd == "office-setup":
            setup.office_setup(args.url, args.office_db, args.code, local_conninfo=args.local_conninfo,
                               region_role=args.region_role, region_password=os.environ.get(PASSWORD_ENV),
                               level_key=levelkey.load(args.level_key_file), keep_connect=tuple(args.keep_connect))
        elif args.cmd == "rotate-key":
            levelkey.rotate(args.url, args.office_db, args.code, levelkey.load(args.level_key_file))
        elif args.cmd == "region-setup":
            setup.region_setup(args.url, args.db, _offices(args.office), level=args.level)
        elif args.cmd == "national-login":
            setup.national_login(args.url, args.db, args.role, os.environ.get(PASSWORD_ENV))
        elif args.cmd == "publish-onward":
            setup.publish_onward(args.url, args.db, args.code)
        elif args.cmd == "check":
            return 1 if health.check(args.url, args.db, region_role=args.region_role) else 0
        elif args.cmd == "enable":
            setup.enable(args.url, args.db, args.code, level=args.level)
        elif args.cmd == "repair-share":
            from .shareslot import repair
            repair(args.url, args.office_db, args.code, local_conninfo=args.local_conninfo)
        elif args.cmd == "resync":
            setup.resync(args.url, args.db, args.code, _with_password(args.conninfo), level=args.level)
        return 0
    except JagaError as exc:
        print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
        return 1
    except ArgumentError as exc:    # an unreadable --url
        print(f"error [rollup_invalid]: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:          # the dashboard's port taken, a certificate file unreadable
        print(f"error [rollup_os]: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, psycopg.Error) as exc:   # the steps speak to psycopg directly (CREATE SUBSCRIPTION)
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
        print(f"error [rollup_database]: {first[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
