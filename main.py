"""Jaga Desa — the one entry point.

    python main.py demo | app | office | office-admin | handover | forms | device ...

Thin on purpose: each package owns its own command line; this file only dispatches.
"""
from __future__ import annotations

import sys

USAGE = __doc__.strip()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "forms":
        from forms.cli import main as run
    elif cmd == "device":
        from fieldapp.cli import main as run
    elif cmd == "app":
        from fieldapp.app import main as run
    elif cmd in ("office", "office-admin"):
        from sync.office.cli import main as office_main
        return office_main(argv)
    elif cmd == "handover":
        from sync.office.handover.cli import main as run
    elif cmd == "demo":
        from demo import main as run
    else:
        print(f"error: unknown command {cmd!r}\n{USAGE}", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
