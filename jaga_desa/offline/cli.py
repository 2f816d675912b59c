"""`jaga-desa build-app --out DIR [--base /app/]`: build the installable offline field app."""
from __future__ import annotations

import argparse
from pathlib import Path

from core import cli
from core.errors import JagaError


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jaga-desa build-app",
                                description="Build the field app as an installable offline web app "
                                            "(Pyodide + a precaching service worker) into DIR.")
    p.add_argument("--out", required=True, type=Path, help="the folder to write (an earlier build there is replaced)")
    p.add_argument("--base", default="/app/", help="the URL path the office serves it at (default /app/)")
    args = p.parse_args(argv)
    from jaga_desa.offline.build import build_app
    try:
        built = build_app(args.out, args.base)
    except JagaError as exc:
        return cli.fail(exc)
    print(f"built {built.files} files, {built.bytes / 1e6:.1f} MB, version {built.version} in {built.out}")
    print(f"serve it: jaga-desa office --data DIR --tls-cert PEM --tls-key PEM --app-dir {built.out}")
    return 0
