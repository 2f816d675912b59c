"""The layering from ARCHITECTURE.md, checked on the source (ast over every .py file, imports
inside functions and `__import__`/`importlib.import_module("...")` calls included) and
at run time (what a fresh interpreter really loads):

    sync                      never imports fieldapp nor the office
    office                    never imports fieldapp
    forms                     imports no storage or network module (nor fieldapp / sync)
    fieldapp                  never speaks HTTP itself (no requests/urllib3/httpx/socket)
    core                      imports nothing of the project
    office.ingest             imports no derive consumer, nor the dashboard, warning, roll-up
    top-level packages        no import cycles between them
    modules                   no import cycles between modules either, inside a package too
                              (imports inside functions and under TYPE_CHECKING included: a
                              cycle that "works" only by import order is still a cycle)

Each check also runs on a made-up checkout that breaks every rule (and a made-up cycle),
so a check that silently stopped seeing imports would fail here, not pass forever.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import CHILD_ENV, ROOT

PACKAGES = ("core", "forms", "fieldapp", "sync", "office", "jaga_desa")
# module prefixes (urllib.parse is string handling, not network: only urllib.request counts)
STORAGE_OR_NETWORK = {"sqlite3", "sqlite_utils", "sqlalchemy", "alembic", "requests", "urllib3",
                      "httpx", "http.client", "http.server", "urllib.request", "socket", "ssl",
                      "asyncio", "fastapi", "starlette", "uvicorn", "aiohttp", "psycopg",
                      "fieldapp", "sync", "office"}
HTTP = {"requests", "urllib3", "httpx", "http.client", "urllib.request", "socket", "aiohttp",
        "fastapi", "starlette"}


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute module names imported anywhere in the file."""
    mod = module_name(path, root)
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


def scan(root: Path = ROOT) -> dict[str, dict[Path, set[str]]]:
    """package -> {file: the modules it imports}, for every .py file of each package."""
    return {pkg: {p: imports_of(p, root) for p in sorted((root / pkg).rglob("*.py"))} for pkg in PACKAGES}


ALL = scan()


def top(name: str) -> str:
    return name.split(".")[0]


def matches(name: str, forbidden: set[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def violations(package: str, forbidden: set[str], tree: dict = ALL, root: Path = ROOT) -> list[str]:
    return [f"{p.relative_to(root)} imports {name}" for p, names in tree[package].items()
            for name in sorted(names) if matches(name, forbidden)]


# The rules, one place: the tests below apply them to this checkout and to a made-up one.
RULES = {"sync": {"fieldapp", "office"}, "office": {"fieldapp"}, "forms": STORAGE_OR_NETWORK, "fieldapp": HTTP,
         "core": set(PACKAGES) - {"core"}}


def package_graph(tree: dict) -> dict[str, set[str]]:
    """Top-level package -> the other top-level packages its files import."""
    graph: dict[str, set[str]] = defaultdict(set)
    for pkg, files in tree.items():
        for names in files.values():
            graph[pkg].update(top(n) for n in names if top(n) in PACKAGES and top(n) != pkg)
    return graph


def cycles_in(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            else:
                walk(nxt, path + [nxt])

    for pkg in sorted(graph):
        walk(pkg, [pkg])
    return cycles


def test_the_scanner_sees_imports():
    """Positive control: the ast scan finds the imports we know are there."""
    assert "sync.envelope" in ALL["fieldapp"][ROOT / "fieldapp" / "device.py"]
    assert "forms" in ALL["fieldapp"][ROOT / "fieldapp" / "cli.py"]          # __import__("forms")
    assert "forms.catalog" in ALL["forms"][ROOT / "forms" / "__init__.py"]  # from .catalog import
    assert any(top(n) == "sqlalchemy" for n in ALL["office"][ROOT / "office" / "db.py"])
    assert len(ALL["sync"]) >= 5 and len(ALL["office"]) > 10 and len(ALL["forms"]) >= 5


def test_sync_never_imports_fieldapp_nor_the_office():
    assert violations("sync", RULES["sync"]) == []


def test_office_never_imports_fieldapp():
    assert violations("office", RULES["office"]) == []


def test_forms_imports_no_storage_or_network():
    assert violations("forms", RULES["forms"]) == []


def test_fieldapp_never_speaks_http_itself():
    assert violations("fieldapp", RULES["fieldapp"]) == []


def test_core_imports_nothing_of_the_project():
    assert violations("core", RULES["core"]) == []


INGEST_MAY_NOT = {"office.dashboard", "office.warning", "office.rollup", "office.handover",
                  "office.derive.consumers", "office.derive.worker"}


def test_ingest_imports_no_derive_consumer():
    """Store, then derive: the push queues jobs (office.derive.queue) and knows no consumer."""
    bad = [f"{p.relative_to(ROOT)} imports {n}" for p, names in ALL["office"].items()
           if p.is_relative_to(ROOT / "office" / "ingest") for n in sorted(names) if matches(n, INGEST_MAY_NOT)]
    assert bad == []
    assert any(n == "office.derive.queue" for n in ALL["office"][ROOT / "office" / "ingest" / "envelopes.py"])


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the project modules it imports. `from pkg import name` counts as importing
    pkg.name when that is a module, else pkg itself (its __init__ defines the name); a
    module's own package is not an edge unless it imports a name the package defines."""
    files = {module_name(p, root): p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")}

    def resolve(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in files:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                out.update(r for a in node.names if (r := resolve(a.name)))
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)] if node.level > 1 \
                    else package.split(".")
                prefix = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module or ""
                out.update(r for a in node.names
                           if (r := f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in files else resolve(prefix)))
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
                if name in ("__import__", "import_module") and (r := resolve(node.args[0].value)):
                    out.add(r)
        graph[mod] = out - {mod}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: every group of modules that reach each other (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def test_no_cycles_between_modules():
    graph = module_graph()
    assert len(graph) > 150 and "office.derive.queue" in graph["office.ingest.envelopes"]   # it sees
    assert strongly_connected(graph) == []


def test_no_cycles_between_top_level_packages():
    graph = package_graph(ALL)
    assert cycles_in(graph) == [], f"import cycles: {cycles_in(graph)}; graph: {dict(graph)}"


# ── negative controls: the same checks on a made-up checkout that breaks every rule ──

VIOLATING = {
    "core/clock.py": "import sync.envelope\n",                               # core -> project
    "forms/store.py": "import sqlite3\nfrom sync import client\n",          # forms stores, reaches sync
    "forms/lazy.py": "def f():\n    __import__('requests')\n",              # hidden in a call
    "fieldapp/net.py": "from urllib.request import urlopen\n",               # fieldapp speaks HTTP
    "fieldapp/deep.py": "def f():\n    import importlib\n    importlib.import_module('httpx')\n",
    "office/peek.py": "from fieldapp.device import Device\n",            # office -> fieldapp
    "office/rel.py": "from ..fieldapp import store\n",                  # relative, still fieldapp
    "sync/peek.py": "from fieldapp import device\nimport office.app\n",   # sync -> phone, sync -> office
    "jaga_desa/__init__.py": "",
}


@pytest.fixture
def violating_tree(tmp_path) -> tuple[dict, Path]:
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    for rel, text in VIOLATING.items():
        (tmp_path / rel).write_text(text)
    return scan(tmp_path), tmp_path


def test_each_rule_catches_its_violation(violating_tree):
    tree, root = violating_tree
    found = {pkg: violations(pkg, forbidden, tree, root) for pkg, forbidden in RULES.items()}
    assert found == {
        "sync": ["sync/peek.py imports fieldapp", "sync/peek.py imports fieldapp.device",
                 "sync/peek.py imports office.app"],
        "office": ["office/peek.py imports fieldapp.device", "office/peek.py imports fieldapp.device.Device",
                   "office/rel.py imports fieldapp", "office/rel.py imports fieldapp.store"],
        "forms": ["forms/lazy.py imports requests", "forms/store.py imports sqlite3",
                  "forms/store.py imports sync", "forms/store.py imports sync.client"],
        "fieldapp": ["fieldapp/deep.py imports httpx", "fieldapp/net.py imports urllib.request",
                     "fieldapp/net.py imports urllib.request.urlopen"],
        "core": ["core/clock.py imports sync.envelope"],
    }


def test_the_cycle_check_catches_a_cycle(violating_tree):
    """forms -> sync (store.py) and sync -> fieldapp (peek.py): add fieldapp -> forms and
    there is a loop through all three; core -> sync alone is no loop."""
    graph = package_graph(violating_tree[0])
    assert cycles_in(graph) == []
    graph["fieldapp"].add("forms")
    assert ["fieldapp", "forms", "sync", "fieldapp"] in cycles_in(graph)
    assert cycles_in({"core": {"forms"}, "forms": {"core"}}) == [["core", "forms", "core"],
                                                                 ["forms", "core", "forms"]]


CYCLES = {   # the three cycles the module check was written for, as they were
    "forms/__init__.py": "from .model import Form\n",
    "forms/model.py": "from .example import build_example\n",
    "forms/example.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .model import Field\n",
    "office/dashboard/__init__.py": "",
    "office/dashboard/web.py": "def nav():\n    from .pages.signals import badge\n",
    "office/dashboard/pages/__init__.py": "",
    "office/dashboard/pages/signals.py": "from ..web import page\n",
    "office/feedback.py": "from office.ingest import FEEDBACK_FORM\n",
    "office/ingest/__init__.py": "from .reviews import ingest_review\n",
    "office/ingest/reviews.py": "from office.feedback import send_feedback\n",
    "office/ingest/common.py": "from office import clock\n",        # a package edge: no cycle
    "office/clock.py": "",
}


def test_the_module_cycle_check_catches_the_three_cycles(tmp_path):
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").write_text("")
    for rel, text in CYCLES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "office" / "__init__.py").write_text("")
    assert strongly_connected(module_graph(tmp_path)) == [
        ["forms.example", "forms.model"],
        ["office.dashboard.pages.signals", "office.dashboard.web"],
        ["office.feedback", "office.ingest", "office.ingest.reviews"]]


@pytest.mark.parametrize("entry,forbidden", [
    ("forms", sorted(STORAGE_OR_NETWORK)),
    ("office.app", ["fieldapp"]),
    ("sync.runner", ["fieldapp"]),
    ("sync.envelope", ["fieldapp", "forms", "requests", "sqlite3"]),
])
def test_runtime_imports(entry, forbidden):
    """What a fresh interpreter really loads (catches transitive imports the ast cannot see)."""
    bad = loaded(entry, forbidden)
    assert bad == "", f"importing {entry} loads {bad}"


def loaded(entry: str, forbidden: list[str]) -> str:
    """The forbidden modules a fresh interpreter has loaded after `import entry`."""
    code = (f"import sys, {entry}\n"
            f"bad = sorted({{m for m in sys.modules if any(m == f or m.startswith(f + '.') "
            f"for f in {forbidden!r})}})\n"
            "print(' '.join(bad))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=CHILD_ENV, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_the_runtime_check_sees_a_transitive_import():
    """Negative control: sync.runner loads sync.client, which loads requests."""
    assert "requests" in loaded("sync.runner", ["requests"]).split()
