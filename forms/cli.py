"""`python main.py forms ...` (also `python -m forms ...`):

    forms list [--lang id|en] [--json]
    forms show ID [--version N] [--lang id|en] [--json]
    forms example ID [--version N]
    forms check FILE

Exit 0 on success; on any error one line on stderr and exit 2 (1 for an unknown form).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from core.errors import FormError, FormNotFound

from . import catalog, conditions
from .i18n import LANGS, msg

EXIT_USAGE = 2
EXIT_NOT_FOUND = 1
EXIT_BROKEN = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump, no sys.exit
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="forms", description="Jaga Desa form definitions")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", help="the latest version of every form")
    ls.add_argument("--lang", choices=LANGS, default="id")
    ls.add_argument("--json", action="store_true")
    sh = sub.add_parser("show", help="a form's sections and fields")
    sh.add_argument("id")
    sh.add_argument("--version", type=int)
    sh.add_argument("--lang", choices=LANGS, default="id")
    sh.add_argument("--json", action="store_true", help="the definition as JSON")
    ex = sub.add_parser("example", help="a valid set of answers, as JSON")
    ex.add_argument("id")
    ex.add_argument("--version", type=int)
    ck = sub.add_parser("check", help="check a definition file")
    ck.add_argument("file")
    return p


def main(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except _UsageError as e:
        print(f"forms: {e} (usage: forms list | show ID | example ID | check FILE)", file=err)
        return EXIT_USAGE
    except SystemExit as e:  # --help printed its text
        return int(e.code or 0)
    try:
        if args.cmd == "list":
            _list(args, out)
        elif args.cmd == "show":
            _show(args, out)
        elif args.cmd == "example":
            form = catalog.load(args.id, args.version)
            print(json.dumps(form.example(), ensure_ascii=False, indent=2), file=out)
        elif args.cmd == "check":
            form = catalog.check_file(args.file)
            print(f"ok: {form.id} v{form.version}", file=out)
    except FormNotFound as e:
        print(f"forms: {_one_line(e.message)}", file=err)
        return EXIT_NOT_FOUND
    except FormError as e:
        print(f"forms: {_one_line(e.message)}", file=err)
        return EXIT_BROKEN
    return 0


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _list(args, out: TextIO) -> None:
    forms_ = catalog.list_forms()
    if args.json:
        rows = [{"id": f.id, "version": f.version, "title": f.title(args.lang),
                 "versions": catalog.versions(f.id)} for f in forms_]
        print(json.dumps(rows, ensure_ascii=False, indent=2), file=out)
        return
    for f in forms_:
        print(f"{f.id}\tv{f.version}\t{f.title(args.lang)}", file=out)


def _show_field(f, lang: str, w, indent: str) -> None:
    req = f", {msg('required_mark', lang)}" if f.required else ""
    w(f"{indent}- {f.name} ({f.type}{req}): {f.label(lang)}")
    if f.hint(lang):
        w(f"{indent}    {f.hint(lang)}")
    for c in f.choices:
        w(f"{indent}    [{c.value}] {c.label(lang)}")
    rules = {k: v for k, v in f.constraint.items() if k != "message"}
    if rules:
        w(f"{indent}    " + ", ".join(f"{k}={v}" for k, v in rules.items()))
    if f.relevant:
        w(f"{indent}    {msg('shown_when', lang)}: {conditions.describe(f.relevant, lang)}")


def _show(args, out: TextIO) -> None:
    form = catalog.load(args.id, args.version)
    if args.json:
        print(json.dumps(form.to_dict(), ensure_ascii=False, indent=2), file=out)
        return
    lang = args.lang
    w = lambda s="": print(s, file=out)  # noqa: E731
    w(f"{form.title(lang)}  ({form.id} v{form.version})")
    for s in form.sections:
        w()
        w(f"== {s.title(lang)} [{s.name}]")
        for f in s.fields:
            _show_field(f, lang, w, "")
            for sub in f.fields:  # a repeat group's fields, indented
                _show_field(sub, lang, w, "    ")
    extra = []
    if form.confidential_field:
        extra.append(f"confidential_field: {form.confidential_field}")
    for name in form.flag_names:
        extra.append(f"flag {name}: {conditions.describe(form.to_dict()['flags'][name], lang)}")
    if extra:
        w()
        for line in extra:
            w(line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
