"""The layering from ARCHITECTURE.md, checked on the source (ast over every .py file, imports
inside functions and `__import__`/`importlib.import_module("...")` calls included) and
at run time (what a fresh interpreter really loads):

    sync (incl. sync.office)  never imports fieldapp
    forms                     imports no storage or network module (nor fieldapp / sync)
    fieldapp                  never speaks HTTP itself (no requests/urllib3/httpx/socket)
    core                      imports nothing of the project
    top-level packages        no import cycles between them
"""
from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import CHILD_ENV, ROOT

PACKAGES = ("core", "forms", "fieldapp", "sync", "jaga_desa")
# module prefixes (urllib.parse is string handling, not network: only urllib.request counts)
STORAGE_OR_NETWORK = {"sqlite3", "sqlite_utils", "sqlalchemy", "alembic", "requests", "urllib3",
                      "httpx", "http.client", "http.server", "urllib.request", "socket", "ssl",
                      "asyncio", "fastapi", "starlette", "uvicorn", "aiohttp", "psycopg",
                      "fieldapp", "sync"}
HTTP = {"requests", "urllib3", "httpx", "http.client", "urllib.request", "socket", "aiohttp",
        "fastapi", "starlette"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute module names imported anywhere in the file."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            out.add(prefix)
            out.update(f"{prefix}.{a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if name in ("__import__", "import_module"):
                out.add(node.args[0].value)
    return out


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


ALL = {pkg: {p: imports_of(p) for p in sources(pkg)} for pkg in PACKAGES}


def top(name: str) -> str:
    return name.split(".")[0]


def matches(name: str, forbidden: set[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def violations(package: str, forbidden: set[str]) -> list[str]:
    return [f"{p.relative_to(ROOT)} imports {name}" for p, names in ALL[package].items()
            for name in sorted(names) if matches(name, forbidden)]


def test_the_scanner_sees_imports():
    """Positive control: the ast scan finds the imports we know are there."""
    assert "sync.envelope" in ALL["fieldapp"][ROOT / "fieldapp" / "device.py"]
    assert "forms" in ALL["fieldapp"][ROOT / "fieldapp" / "cli.py"]          # __import__("forms")
    assert "forms.catalog" in ALL["forms"][ROOT / "forms" / "__init__.py"]  # from .catalog import
    assert any(top(n) == "sqlalchemy" for n in ALL["sync"][ROOT / "sync" / "office" / "db.py"])
    assert len(ALL["sync"]) > 10 and len(ALL["forms"]) >= 5


def test_sync_never_imports_fieldapp():
    assert violations("sync", {"fieldapp"}) == []


def test_forms_imports_no_storage_or_network():
    assert violations("forms", STORAGE_OR_NETWORK) == []


def test_fieldapp_never_speaks_http_itself():
    assert violations("fieldapp", HTTP) == []


def test_core_imports_nothing_of_the_project():
    assert violations("core", set(PACKAGES) - {"core"}) == []


def test_no_cycles_between_top_level_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for pkg, files in ALL.items():
        for names in files.values():
            graph[pkg].update(top(n) for n in names if top(n) in PACKAGES and top(n) != pkg)
    cycles = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            else:
                walk(nxt, path + [nxt])

    for pkg in PACKAGES:
        walk(pkg, [pkg])
    assert cycles == [], f"import cycles: {cycles}; graph: {dict(graph)}"


@pytest.mark.parametrize("entry,forbidden", [
    ("forms", sorted(STORAGE_OR_NETWORK)),
    ("sync.office.app", ["fieldapp"]),
    ("sync.runner", ["fieldapp"]),
    ("sync.envelope", ["fieldapp", "forms", "requests", "sqlite3"]),
])
def test_runtime_imports(entry, forbidden):
    """What a fresh interpreter really loads (catches transitive imports the ast cannot see)."""
    code = (f"import sys, {entry}\n"
            f"bad = sorted({{m for m in sys.modules if any(m == f or m.startswith(f + '.') "
            f"for f in {forbidden!r})}})\n"
            "print(' '.join(bad))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=CHILD_ENV, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "", f"importing {entry} loads {p.stdout.strip()}"
