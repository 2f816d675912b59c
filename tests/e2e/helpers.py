"""Helpers for the browser tests: the real field app (`jaga-desa app`) in a subprocess, driven by
Debian's Chromium through Playwright.

One browser per test module; app servers are started per module (or per test where a
fresh data dir is the point). Every screen a test visits is saved to artifacts/.
"""
from __future__ import annotations

import base64
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.net import free_port
from jaga_desa.testing.servers import JAGA, ServerProcess
from jaga_desa.testing.waits import wait_until


ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
PIN = "246810"
PHONE = {"width": 360, "height": 640}
BIG_PHONE = {"width": 412, "height": 860}
CRASH = "Error running app"


class AppServer(ServerProcess):
    """`jaga-desa app --data DIR --port P` in its own process group, started at once."""

    def __init__(self, data: Path, env: dict | None = None) -> None:
        self.data = Path(data)
        port = free_port()
        e = {**os.environ, "JAGA_KDF_SECONDS": "0.02", "JAGA_SYNC_SECONDS": "0", "BROWSER": "true",
             "PYTHONUNBUFFERED": "1", **(env or {})}
        super().__init__([*JAGA, "app", "--data", str(self.data), "--port", str(port)], port=port,
                         env=e, cwd=ROOT, log=self.data.parent / f"app-{port}.log")
        self.start(timeout=40)

    @property
    def url(self) -> str:          # the app's page, with its trailing slash
        return f"http://127.0.0.1:{self.port}/"


# ── page helpers ─────────────────────────────────────────────────────────
# Switch Flutter's semantics on the moment its placeholder is in the page — before the app
# can focus a field by itself. A field focused earlier keeps an editing input outside the
# semantics tree for the page's life (see _editing_value), which a slow machine hit often.
_SEMANTICS_AT_ONCE = """(() => {
  const on = () => { const p = document.querySelector('flt-semantics-placeholder'); if (p) p.click(); };
  const watch = new MutationObserver(() => {
    if (document.querySelector('flt-semantics')) { watch.disconnect(); return; }
    on();
  });
  watch.observe(document, {childList: true, subtree: true});
})();"""


def open_app(browser, url: str, viewport=PHONE, **ctx_kw):
    """A new tab on the app with Flutter semantics on; returns (context, page, seconds-to-usable)."""
    ctx = browser.new_context(viewport=viewport, **ctx_kw)
    ctx.add_init_script(_SEMANTICS_AT_ONCE)
    page = ctx.new_page()
    t0 = time.monotonic()
    page.goto(url)
    enable_semantics(page)
    return ctx, page, time.monotonic() - t0


def enable_semantics(page, timeout: float = 60) -> None:
    """Wait until Flutter's semantics tree exists (the accessibility tree the tests read),
    clicking the placeholder that switches it on while it is still there."""
    wait_until(lambda: page.evaluate("""() => { if (document.querySelector('flt-semantics')) return true;
        const p = document.querySelector('flt-semantics-placeholder'); if (p) p.click(); return false; }"""),
        timeout, "Flutter's semantics tree", pause=lambda s: page.wait_for_timeout(s * 1000), every=0.1)


def snap(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"field-{name}.png"
    frames(page)                        # the last change is painted, not half laid out
    path.write_bytes(steady_screenshot(page))
    assert CRASH not in page.locator("body").aria_snapshot()
    return path


def steady_screenshot(page, tries: int = 20) -> bytes:
    """A screenshot once two in a row agree. On a busy machine Flutter's canvas can lag the
    semantics tree a test waits on: a lock screen found by its text was once saved as the
    "Working..." splash, and the home screen after it as the lock screen. A screen that
    never stops moving (a spinner) is saved as it is after `tries` rounds."""
    last = page.screenshot()
    for _ in range(tries):
        frames(page, 2)
        now = page.screenshot()
        if now == last:
            return now
        last = now
    return last


def frames(page, n: int = 2) -> None:
    """Wait until the browser has painted `n` more frames: Flutter lays out and paints on
    animation frames, so after two of them the screen shows the last change (a condition
    the browser signals, not a guessed pause)."""
    page.evaluate("n => new Promise(r => { const f = k => k ? requestAnimationFrame(() => f(k - 1)) : r(); f(n); })", n)


def app_tracebacks(log: str) -> list[str]:
    """The tracebacks in the app's log that are the app's own. Flet's web server logs a
    `WebSocketDisconnect` from its send loop when the browser goes away while it is still
    pushing (the live home screen redraws on its own): that is the browser closing, not an
    error in the app, so it is left out; anything else counts."""
    blocks = log.split("Traceback (most recent call last):")[1:]
    # A chained exception ("During handling of the above exception, another exception
    # occurred:") is one log record in several blocks: judge the chain by its last exception.
    chains: list[str] = []
    for b in blocks:
        if chains and chains[-1].rstrip().endswith(_CHAINED):
            chains[-1] += "Traceback (most recent call last):" + b
        else:
            chains.append(b)
    return [c for c in chains
            if not (c.rstrip().endswith("starlette.websockets.WebSocketDisconnect") and "flet_web" in c)]


_CHAINED = ("During handling of the above exception, another exception occurred:",
            "The above exception was the direct cause of the following exception:")


def no_crash(page) -> None:
    assert CRASH not in page.locator("body").aria_snapshot()


def button(page, name: str, exact: bool = False):
    return page.get_by_role("button", name=name, exact=exact)


def textbox(page, name: str):
    return page.get_by_role("textbox", name=name)


def tap(locator) -> None:
    """Tap through the semantics node itself. A coordinate click can land on whatever
    Flutter painted there when its scroll position and the DOM's disagree (long forms
    on a 360x640 screen); the node's own click runs the control's tap action. The node is
    scrolled onto the screen first, as a finger would: Flutter drops a tap on a node far
    below the fold while a text field holds the keyboard."""
    reach(locator)
    box = locator.bounding_box()
    h = (locator.page.viewport_size or PHONE)["height"]
    if box is None or box["y"] + box["height"] <= 0 or box["y"] >= h:
        bring(locator)
    locator.dispatch_event("click")


def tap_until(locator, shown, tries: int = 3, timeout: float = 8000) -> None:
    """Tap, and tap again if the next screen did not come — as a person does when a tap
    landed while the screen was being redrawn (e.g. the home rebuilding as a sync ends,
    which drops a tap on the node it replaces). Waits on `shown`, never a fixed sleep."""
    for attempt in range(tries):
        tap(locator)
        try:
            shown.wait_for(timeout=timeout)
            return
        except Exception:   # noqa: BLE001 — playwright TimeoutError: the tap was lost
            if locator.count() == 0:        # it was not lost: the next screen is still coming
                shown.wait_for(timeout=3 * timeout)
                return
            if attempt == tries - 1:
                raise


def reach(locator, timeout: float = 15000) -> None:
    """Wait for a node, scrolling like a finger would: Flutter leaves nodes far outside the
    visible part of a scrolling list out of the semantics tree."""
    page = locator.page
    deadline = time.monotonic() + timeout / 1000
    direction = 1
    while True:
        try:
            locator.wait_for(state="attached", timeout=700)
            return
        except Exception:   # noqa: BLE001 — playwright TimeoutError: not there (yet)
            if time.monotonic() > deadline:
                raise
        vp = page.viewport_size or {"width": 360, "height": 640}
        page.mouse.move(vp["width"] / 2, vp["height"] / 2)
        before = page.evaluate("document.querySelectorAll('flt-semantics').length")
        page.mouse.wheel(0, 300 * direction)
        frames(page, 3)
        if page.evaluate("document.querySelectorAll('flt-semantics').length") == before and direction == 1:
            direction = -1          # at the bottom already: look upwards


# The field has the keyboard: its own editing input is focused, or — when Flutter focused the
# field by itself (autofocus) before the test switched semantics on — Flutter's one editing
# input sits outside every semantics node. Typing then is what a person does (the cursor
# blinks in the field); the value check after typing tells a wrong field apart.
_HAS_FOCUS = """e => { const a = document.activeElement;
  if (!a) return false;
  if (e === a || e.contains(a)) return true;
  return (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA') && !a.closest('flt-semantics'); }"""


def fill(page, name: str, text: str) -> None:
    """Focus a text field and type into it, as a user would, then check it shows the text.
    Flutter moves its own focus a moment after the DOM's, so keys typed too early can land
    in the previous field; like a user who looks at the screen, retype when it is not there."""
    box = textbox(page, name)
    # Right after a page load Flutter may draw the field before it accepts focus: keep trying,
    # as a user would, until a deadline rather than a fixed number of times.
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        # Only Flutter may move the focus (a DOM focus() makes the check below lie): until it
        # has, keys go to the last tapped control, and a space in the text presses that button.
        tap(box)
        for _ in range(60):
            if box.evaluate(_HAS_FOCUS):
                break
            page.wait_for_timeout(50)
        else:
            continue
        frames(page)
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        for _ in range(40):
            if _focused_value(page, name) == text or _editing_value(page) == text:
                return
            page.wait_for_timeout(100)
    raise AssertionError(f"could not type into {name!r}: shows {_focused_value(page, name)!r}\n"
                         + page.locator("body").aria_snapshot())


def _editing_value(page) -> str | None:
    """The text in Flutter's own editing input when it sits outside every semantics node.
    That happens when the app focused a field by itself (the lock screen's PIN) before the
    test switched semantics on: Flutter keeps that editing strategy for the page's life, the
    field's semantics node never shows the typed text (and an obscured field never would),
    but the input is the field's text connection — typing there and pressing "Masuk" unlocks
    (checked by hand: a page whose semantics were switched on 3 s late). None otherwise."""
    return page.evaluate("""() => { const a = document.activeElement;
      return a && (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA') && !a.closest('flt-semantics')
        ? a.value : null; }""")


def _focused_value(page, name: str) -> str | None:
    prefix = f'- textbox "{name}"'
    for line in page.locator("body").aria_snapshot().splitlines():
        line = line.strip()
        if line.startswith(prefix):
            rest = line[len(prefix):].strip()
            return rest[1:].strip().strip('"') if rest.startswith(":") else ""
    return None


def value_of(page, name: str) -> str:
    """A text field's value as a screen reader gets it. Flutter web exposes the value only
    while the field has focus, so focus it first."""
    box = textbox(page, name)
    tap(box)
    for _ in range(60):
        if box.evaluate("e => e === document.activeElement || e.contains(document.activeElement)"):
            break
        page.wait_for_timeout(50)
    frames(page, 3)                     # the focused field's semantics are updated on a frame
    value = _focused_value(page, name)
    if value is None:
        raise AssertionError(f"no textbox {name!r}")
    return value or _editing_value(page) or ""


def until(page, condition, what: str, timeout: float = 10.0):
    """Wait for `condition()` (e.g. on the aria snapshot) with a deadline, never a fixed sleep;
    polls through Playwright so the page keeps running."""
    return wait_until(condition, timeout, what, pause=lambda s: page.wait_for_timeout(s * 1000), every=0.1)


def shows(page, text: str) -> bool:
    return text in page.locator("body").aria_snapshot()


def wait_stored(data: Path, condition, what: str, timeout: float = 10.0):
    """Wait until the device store (opened afresh each poll, as another process would) meets
    `condition(device)`: the app's autosave or settings write really reached the disk."""
    from fieldapp.device import Device

    def check():
        dev = Device(data)
        try:
            return condition(dev)
        finally:
            dev.close()
    return wait_until(check, timeout, what, every=0.2)


def staff_browser(browser, office_url: str, username: str, password: str, viewport=None):
    """A dashboard tab signed in through the login form, as staff do; returns (context, page)."""
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    d = ctx.new_page()
    d.goto(office_url + "/dashboard/login")
    d.get_by_label("Nama pengguna").fill(username)
    d.get_by_label("Kata sandi").fill(password)
    d.get_by_role("button", name="Masuk").click()
    d.wait_for_url("**/dashboard/**")
    return ctx, d


def wait_text(page, text: str, timeout: float = 15000):
    page.get_by_text(text).first.wait_for(timeout=timeout)


# ── device seeding (the real device API, in the test process) ────────────
class FakeOffice:
    """Stands in for the office's enrollment *response* when no office is running:
    real key pairs, applied exactly as the app's enrollment would."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        self.x, self.e = X25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        self.village = str(uuid.uuid4())
        self.device_id = str(uuid.uuid4())

    def enroll(self, data: Path, user: str, pin: str = PIN) -> None:
        from fieldapp.device import Device
        from sync import identity, statement
        b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
        x_pub, e_pub = self.x.public_key().public_bytes_raw(), self.e.public_key().public_bytes_raw()
        dev = Device(data)
        try:
            s = dev.unlock(user, pin)
            answer = {
                "person_id": str(uuid.uuid4()), "device_id": self.device_id, "sync_token": "tok-" + uuid.uuid4().hex,
                "village_id": self.village, "village_name": "Desa Sebatik", "kecamatan_name": "Sebatik Barat", "role": s.role,
                "x25519_public": b64(s.x25519.public_key().public_bytes_raw()),
                "ed25519_public": b64(s.ed25519.public_key().public_bytes_raw()),
                "office_x25519_public": b64(x_pub), "office_ed25519_public": b64(e_pub),
                "issued_at": "2026-01-01T00:00:00.000Z", "recipients": [],
                "recipients_valid_until": (datetime.now(timezone.utc) + timedelta(days=14)).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z")}
            dev.apply_enrollment(s, identity.Ticket("ABCD-EFGH-JKLM", identity.fingerprint(x_pub, e_pub),
                                                    "http://127.0.0.1:9"),
                                 {**answer, "signature": statement.sign_answer(answer, self.e)})
        finally:
            dev.close()


def seed_device(data: Path, users=(("Siti", "volunteer"),), enroll: bool = True) -> None:
    os.environ.setdefault("JAGA_KDF_SECONDS", "0.02")
    from fieldapp.device import Device
    dev = Device.init(data)
    try:
        for name, role in users:
            dev.add_user(name, role, PIN)
    finally:
        dev.close()
    if enroll:
        office = FakeOffice()
        for name, _ in users:
            office.enroll(data, name)


def small_targets(page, minimum: int = 48) -> list[str]:
    """Tappable semantics nodes smaller than `minimum` px (either side). Nodes cut off at
    the edge of a scrolling area report their visible part only: those are skipped."""
    return page.evaluate(
        """(min) => {
          const clipped = (e, r) => {
            for (let p = e.parentElement; p; p = p.parentElement) {
              const s = getComputedStyle(p);
              if (/(auto|scroll|hidden)/.test(s.overflow + s.overflowY)) {
                const c = p.getBoundingClientRect();
                if (r.top <= c.top + 1 || r.bottom >= c.bottom - 1) return true;
              }
            }
            return r.bottom >= innerHeight - 1 || r.top <= 1;
          };
          return [...document.querySelectorAll('[role=button],[role=radio],[role=checkbox],[role=textbox],input,textarea')]
             .map(e => [e, e.getBoundingClientRect()])
             .filter(([e, r]) => r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight)
             .filter(([e, r]) => Math.round(r.height) < min || Math.round(r.width) < min)
             .filter(([e, r]) => !clipped(e, r))
             .map(([e, r]) => `${e.getAttribute('role') || e.tagName} "${e.getAttribute('aria-label') || e.textContent.trim()}" ${Math.round(r.width)}x${Math.round(r.height)}`);
        }""",
        minimum)


# ── counting a journey as a person would do it ───────────────────────────
def _on_screen(locator) -> bool:
    """The node is fully inside the part of the screen a person sees: below the app bar and
    above the fixed footer (buttons whose bottom touches the screen's bottom edge)."""
    page = locator.page
    box = locator.bounding_box()
    if box is None or box["width"] == 0:
        return False
    h = (page.viewport_size or PHONE)["height"]
    if box["y"] + box["height"] >= h - 24:           # the target is itself in the footer
        return box["y"] < h
    footer_top = page.evaluate(
        """(h) => Math.min(h, ...[...document.querySelectorAll('[role=button]')]
              .map(e => e.getBoundingClientRect()).filter(r => r.height > 0 && r.bottom >= h - 24)
              .map(r => r.top - 8))""", h)
    return box["y"] >= 56 and box["y"] + box["height"] <= footer_top


def bring(locator, settle: bool = False) -> bool:
    """Scroll until the node is on the screen, with the wheel a person's thumb stands for;
    True when it had to scroll. `settle` first waits for a just-drawn screen to stop moving,
    so an interaction count never includes a scroll nobody needs."""
    reach(locator)
    if settle:
        settled(locator)
    if _on_screen(locator):
        return False
    page = locator.page
    vp = page.viewport_size or PHONE
    page.mouse.move(vp["width"] / 2, vp["height"] / 2)
    for _ in range(30):
        box = locator.bounding_box()
        down = box is None or box["y"] > vp["height"] / 2
        page.mouse.wheel(0, 120 if down else -120)
        frames(page, 3)
        if _on_screen(locator):
            return True
    raise AssertionError("could not scroll the target onto the screen")


def settled(locator, timeout_ms: int = 3000) -> None:
    """Wait until the node stops moving (a screen that was just drawn is still laying out):
    deciding "off screen" from a half-laid-out frame would count a scroll nobody needs."""
    page = locator.page
    last = None
    for _ in range(timeout_ms // 100):
        box = locator.bounding_box()
        if box is not None and box == last:
            return
        last = box
        page.wait_for_timeout(100)


class Journey:
    """Does what a person would and counts it: taps, typed fields, and scrolls (one scroll =
    one swipe that was needed because the next thing to touch was not on screen)."""

    def __init__(self, page) -> None:
        self.page = page
        self.steps: list[str] = []

    def _bring(self, locator) -> None:
        if bring(locator, settle=True):
            self.steps.append("scroll")

    def tap(self, locator) -> None:
        self._bring(locator)
        locator.dispatch_event("click")
        self.steps.append("tap")

    def type(self, name: str, text: str) -> None:
        self._bring(textbox(self.page, name))
        fill(self.page, name, text)
        self.steps.append("type")

    def counts(self) -> dict:
        return {"interactions": len(self.steps), "taps": self.steps.count("tap"),
                "typed_fields": self.steps.count("type"), "scrolls": self.steps.count("scroll")}


def record_metric(name: str, value: dict) -> None:
    """Merge one journey's counts into artifacts/interaction-counts.json (read by the closing note)."""
    import json
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "interaction-counts.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    print(f"{name}: {value}")


def option(page, name: str, exact: bool = False):
    """A choice on a form or in Settings: a radio when one may be picked, a checkbox when several
    may (fieldapp/ui/fields.Option) — found by the role a screen reader announces."""
    return page.get_by_role("radio", name=name, exact=exact).or_(page.get_by_role("checkbox", name=name, exact=exact))


def first_user(page, name: str = "Siti", pin: str = PIN, timeout: float = 180) -> None:
    """First run: language, then the first user; returns on the enrollment screen."""
    wait_text(page, "Pilih bahasa / Choose language", timeout=timeout * 1000)
    tap(button(page, "Bahasa Indonesia"))
    textbox(page, "Nama pengguna").wait_for(timeout=60000)
    fill(page, "Nama pengguna", name)
    fill(page, "PIN baru (4-12 angka)", pin)
    fill(page, "Ulangi PIN", pin)
    tap(button(page, "Buat pengguna"))
    textbox(page, "Kode pendaftaran").wait_for(timeout=60000)
