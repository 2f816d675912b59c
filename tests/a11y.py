"""axe-core in the page under test: the one helper the field-app and dashboard browser tests
use to count accessibility violations (WCAG 2 A/AA rules and axe's best practices).

The engine is vendored (tests/vendor/axe-core, MPL-2.0) so the check runs offline. The
dashboard's Content-Security-Policy forbids scripts: its browser contexts are opened with
`bypass_csp=True`, which lets this test script in and changes nothing the page does.
"""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(page, *, exclude: list[str] | None = None) -> list[dict]:
    """axe's violations on the page as it is now: [{id, impact, help, nodes: [target...]}]."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async ([tags, exclude]) => {
        const r = await axe.run({exclude: exclude.map(s => [s])}, {runOnly: {type: 'tag', values: tags},
                                                                   resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 10)}));
    }""", [TAGS, exclude or []])
    return found


def summary(found: list[dict]) -> str:
    """One line per rule, for an assertion message a person can act on."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['nodes'][:4])}" for v in found)
