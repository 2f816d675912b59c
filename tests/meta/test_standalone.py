"""The repository stands alone: no tracked file points at a document or folder outside it
(design notes, style guides, sibling folders), and every relative link in a Markdown file
lands on a file inside the repo."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Names of documents that live outside this repository, and paths that leave it. Built from
# pieces so this file does not match itself.
OUTSIDE = [re.compile(p) for p in (
    r"\b" + "DESIGN" + r"\.md\b", r"\b" + "STYLE" + r"\.md\b", r"\be2e" + r"\.md\b",
    r"\bpostgres" + r"\.md\b", r"(?<![\w.-])" + "shared" + r"/(?!\w+\.py)", r"\.\./" + "shared",
    r"/" + "work" + r"/",
)]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
TEXT = (".py", ".md", ".toml", ".txt", ".json", ".html", ".css", ".js", ".cfg", ".ini", ".mako", ".yml",
        ".yaml", "")


def tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / f for f in out.splitlines() if (ROOT / f).suffix in TEXT and (ROOT / f).is_file()]


def test_the_scan_sees_the_repo():
    files = tracked()
    assert ROOT / "README.md" in files and ROOT / "ARCHITECTURE.md" in files and len(files) > 100


def test_no_tracked_file_points_outside_the_repo():
    here = Path(__file__).resolve()
    hits = []
    for path in tracked():
        if path == here:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            hits += [f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}" for rx in OUTSIDE if rx.search(line)]
    assert hits == [], "points outside the repo:\n" + "\n".join(hits)


def test_markdown_links_stay_inside_and_exist():
    bad = []
    for md in (p for p in tracked() if p.suffix == ".md"):
        for target in LINK.findall(md.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue                                   # a URL (http:, mailto:) or an anchor
            dest = (md.parent / target.split("#", 1)[0]).resolve()
            if not dest.is_relative_to(ROOT) or not dest.exists():
                bad.append(f"{md.relative_to(ROOT)} -> {target}")
    assert bad == [], "broken or outside links:\n" + "\n".join(bad)


def test_the_patterns_catch_what_they_must():
    """Positive control: each kind of outside pointer is caught, ordinary text is not."""
    caught = ["see ../" + "shared/notes", "as in " + "DESIGN" + ".md", "read shared/" + "e2e" + ".md",
              "/" + "work/" + "main/x"]
    assert all(any(rx.search(line) for rx in OUTSIDE) for line in caught)
    assert not any(rx.search("one shared phone; the shared helper in tests/support.py") for rx in OUTSIDE)
