"""Switching language changes every visible label: the accessible tree of each screen
in English holds no word that only Indonesian uses, and vice versa."""
from __future__ import annotations

import json
import re

import pytest

from fieldapp import i18n
from forms.catalog import DEFINITIONS
from tests.e2e.helpers import option, PHONE, PIN, button, fill, open_app, seed_device, snap, tap, wait_text

pytestmark = pytest.mark.e2e
WORD = re.compile(r"[A-Za-z]{3,}")
# names the user typed, proper nouns and words both languages share in this app
ALLOWED = {"bahasa", "siti", "jaga", "desa", "sebatik", "pin", "gps", "ktp", "tppo", "tppm", "pmi", "imigrasi"}


def _texts() -> dict[str, list[str]]:
    """Every UI text we ship, per language: the app's table plus the form definitions."""
    out = {"id": [p[0] for p in i18n.S.values()], "en": [p[1] for p in i18n.S.values()]}

    def walk(node):
        if isinstance(node, dict):
            if set(node) == {"id", "en"} and all(isinstance(v, str) for v in node.values()):
                out["id"].append(node["id"])
                out["en"].append(node["en"])
            else:
                for v in node.values():
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    for path in DEFINITIONS.glob("*.json"):
        walk(json.loads(path.read_text()))
    return out


def _only_words() -> dict[str, set[str]]:
    texts = _texts()
    words = {lang: {w.lower() for t in ts for w in WORD.findall(t.format_map(_Blank()))}
             for lang, ts in texts.items()}
    return {"id": words["id"] - words["en"] - ALLOWED, "en": words["en"] - words["id"] - ALLOWED}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _shown(snapshot: str) -> str:
    """Only what the user sees or hears: accessible names and texts, not the role words."""
    parts = []
    for line in snapshot.splitlines():
        parts += re.findall(r'"([^"]*)"', line)
        if m := re.search(r"- text: (.*)$", line):
            parts.append(m.group(1))
    return "\n".join(parts)


def _leaks(snapshot: str, other_lang: str, only: dict[str, set[str]]) -> set[str]:
    return {w.lower() for w in WORD.findall(_shown(snapshot))} & only[other_lang]


def _screens(page, lang: str):
    """Visit the same screens in either language; yield (name, aria snapshot)."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    wait_text(page, t("drafts"))
    yield "home", page.locator("body").aria_snapshot()
    tap(button(page, t("settings")))
    wait_text(page, t("wipe_hint"))
    yield "settings", page.locator("body").aria_snapshot()
    tap(button(page, t("back")))
    tap(button(page, t("btn_suspicion"), exact=True))
    button(page, t("next")).wait_for()
    yield "form-1", page.locator("body").aria_snapshot()
    tap(button(page, t("next")))                          # empty section: messages in this language
    wait_text(page, {"id": "Wajib diisi", "en": "Required"}[lang])
    yield "form-1-errors", page.locator("body").aria_snapshot()
    tap(button(page, t("to_home")))
    wait_text(page, t("drafts"))
    yield "home-with-draft", page.locator("body").aria_snapshot()
    tap(button(page, t("lock_now")))
    button(page, t("unlock")).wait_for()
    yield "lock", page.locator("body").aria_snapshot()
    fill(page, t("pin"), PIN)
    tap(button(page, t("unlock")))


def test_language_switch_changes_every_label(browser, start_app, tmp_path):
    data = tmp_path / "phone"
    seed_device(data)
    srv = start_app(data)
    only = _only_words()
    ctx, page, _ = open_app(browser, srv.url, PHONE)
    try:
        fill(page, "PIN", PIN)
        tap(button(page, "Masuk"))
        found: dict[str, set[str]] = {}
        for name, snap_text in _screens(page, "id"):
            if leak := _leaks(snap_text, "en", only):
                found[f"id/{name}"] = leak
        tap(button(page, "Pengaturan"))
        tap(option(page, "English"))
        wait_text(page, "Quick wipe")
        snap(page, "40-settings-en")
        tap(button(page, "Back"))
        for name, snap_text in _screens(page, "en"):
            if leak := _leaks(snap_text, "id", only):
                found[f"en/{name}"] = leak
            if name == "form-1-errors":
                snap(page, "41-form-errors-en")
            if name == "home-with-draft":
                snap(page, "42-home-en")
        assert not found, f"words of the other language on screen: {found}"
    finally:
        ctx.close()
