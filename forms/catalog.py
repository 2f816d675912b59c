"""The shipped form definitions: forms/definitions/<id>.v<version>.json."""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from core.errors import FormError, FormNotFound

from .model import Form
from .parser import NAME_RE, parse

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
FILE_RE = re.compile(r"(?P<id>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.json")


def check_file(path: str | Path) -> Form:
    """Parse one definition file; FormError naming the file (and field) if it is broken.
    A file named like <id>.v<version>.json must hold that id and version."""
    p = Path(path)
    source = str(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise FormError(f"{source}: cannot read: {e.strerror or e}", source=source) from None
    except UnicodeDecodeError:
        raise FormError(f"{source}: not UTF-8 text", source=source) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise FormError(f"{source}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                        source=source) from None
    form = parse(data, source)
    m = FILE_RE.fullmatch(p.name)
    if m and (m["id"] != form.id or int(m["version"]) != form.version):
        raise FormError(f"{source}: file name says {m['id']} v{m['version']} but the form is "
                        f"{form.id} v{form.version}", source=source)
    return form


@functools.lru_cache(maxsize=None)
def _index() -> dict[str, dict[int, Path]]:
    idx: dict[str, dict[int, Path]] = {}
    for p in sorted(DEFINITIONS.glob("*.json")):
        m = FILE_RE.fullmatch(p.name)
        if m:
            idx.setdefault(m["id"], {})[int(m["version"])] = p
    return idx


@functools.lru_cache(maxsize=None)
def _load_path(path: Path) -> Form:
    return check_file(path)


def load(form_id: str, version: int | None = None) -> Form:
    """A shipped form: the given version, or the latest when version is None."""
    if not isinstance(form_id, str) or not NAME_RE.fullmatch(form_id):
        raise FormNotFound(f"no form {form_id!r}", form_id=form_id)
    versions = _index().get(form_id)
    if not versions:
        raise FormNotFound(f"no form '{form_id}'", form_id=form_id)
    if version is None:
        version = max(versions)
    if not isinstance(version, int) or isinstance(version, bool) or version not in versions:
        raise FormNotFound(f"form '{form_id}' has no version {version!r} "
                           f"(has {', '.join(map(str, sorted(versions)))})", form_id=form_id, version=version)
    return _load_path(versions[version])


def versions(form_id: str) -> list[int]:
    """Every shipped version of a form, oldest first ([] if unknown)."""
    return sorted(_index().get(form_id, {}))


def list_forms() -> list[Form]:
    """The latest version of every shipped form, by id."""
    return [load(fid) for fid in sorted(_index())]
