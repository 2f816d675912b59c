"""`jaga-desa` — the one entry point (also `python -m jaga_desa` and `python main.py`).

    jaga-desa demo | app | build-app | office | office-admin | handover | rollup | forms | device ...

Thin on purpose: each package owns its own command line; this module only dispatches.
"""
from __future__ import annotations

import sys

USAGE = """usage: jaga-desa COMMAND [ARGS...]

  demo          the whole trip on one machine: office + dashboard + field app, seeded
  app           the field app (Flet, web mode) on one device's data folder
  build-app     build the installable offline field app (served by `office --app-dir`)
  office        the office server: sync API + staff dashboard
  office-admin  office administration: villages, staff, enrollment codes, keys
  handover      One Data hand-over packages: export (signed, tiers A/B/C) and verify
  rollup        national roll-up on PostgreSQL logical replication: setup, check, resync
  forms         list, show and check the form definitions
  device        the field device without a screen (init, enroll, file, sync, ...)

`jaga-desa COMMAND --help` describes each command."""


OFFICE_COMMANDS = ("office", "office-admin", "handover", "rollup", "demo")
# One module of the office extra each: present together or not at all (pip installs the extra whole).
OFFICE_EXTRA = ("fastapi", "sqlalchemy", "alembic", "jinja2", "openpyxl", "frictionless", "rapidfuzz")


def require_office_extra() -> None:
    """The office's commands on a phone-only install: a typed error naming the extra, not
    an ImportError traceback from deep inside the office."""
    from importlib.util import find_spec
    missing = [m for m in OFFICE_EXTRA if find_spec(m) is None]
    if missing:
        from core.errors import OfficeExtraMissing
        raise OfficeExtraMissing(f"the office is not installed here ({', '.join(missing)} missing): "
                                 f"pip install 'jaga-desa[office]'")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd in OFFICE_COMMANDS:
        from core import cli
        if (status := cli.run(lambda: require_office_extra() or 0)) != 0:
            return status
    if cmd == "forms":
        from forms.cli import main as run
    elif cmd == "device":
        from fieldapp.cli import main as run
    elif cmd == "app":
        from fieldapp.app import main as run
    elif cmd in ("office", "office-admin"):
        from office.cli import main as office_main
        return office_main(argv)
    elif cmd == "handover":
        from office.handover.cli import main as run
    elif cmd == "rollup":
        from office.rollup.cli import main as run
    elif cmd == "build-app":
        from jaga_desa.offline.cli import main as run
    elif cmd == "demo":
        from jaga_desa.demo import main as run
    else:
        print(f"error [usage]: unknown command {cmd!r}\n{USAGE}", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
