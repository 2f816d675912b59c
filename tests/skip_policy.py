"""No silent skips: a test that skips (or xfails) FAILS the run unless tests/ALLOWED_SKIPS.txt
lists it with its reason. A skip hides a test that did not run — a missing PostgreSQL, a
missing browser — behind a green CI; this makes the gap visible, or written down.

ALLOWED_SKIPS.txt: one entry a line, `NODEID-PREFIX | REASON`; `#` starts a comment.
An entry without a reason is itself an error. JAGA_ALLOWED_SKIPS names another file
(the policy's own test uses it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT = Path(__file__).with_name("ALLOWED_SKIPS.txt")


def load_allowed(path: Path) -> dict[str, str]:
    allowed: dict[str, str] = {}
    if not path.exists():
        return allowed
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        nodeid, _, reason = (part.strip() for part in line.partition("|"))
        if not nodeid or not reason:
            raise pytest.UsageError(f"{path}:{n}: write `NODEID | REASON` (a skip needs its reason): {raw!r}")
        allowed[nodeid] = reason
    return allowed


def pytest_configure(config: pytest.Config) -> None:
    config._jaga_allowed_skips = load_allowed(Path(os.environ.get("JAGA_ALLOWED_SKIPS", DEFAULT)))


def _allowed(config: pytest.Config, nodeid: str) -> bool:
    return any(nodeid == k or nodeid.startswith(k + "[") or nodeid.startswith(k + "::")
               for k in config._jaga_allowed_skips)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A whole module skipped at import (`pytest.importorskip`, `allow_module_level`)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and not _allowed(collector.config, rep.nodeid):
        why = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else rep.longrepr
        rep.outcome = "failed"
        rep.longrepr = (f"SKIPPED at collection, and a skip fails the run: {why}\n"
                        f"List it in tests/ALLOWED_SKIPS.txt as `{rep.nodeid} | <reason>` if it must.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    if not rep.skipped or _allowed(item.config, rep.nodeid):
        return
    why = getattr(rep, "wasxfail", None)
    if why is None and isinstance(rep.longrepr, tuple):
        why = rep.longrepr[2]
    rep.outcome = "failed"
    rep.longrepr = (f"SKIPPED, and a skip fails the run: {why or rep.longrepr}\n"
                    f"Make the test run here, or list it in tests/ALLOWED_SKIPS.txt as "
                    f"`{rep.nodeid} | <reason>`.")
    if hasattr(rep, "wasxfail"):
        del rep.wasxfail
