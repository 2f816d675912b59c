"""Home after unlock: the big report buttons, the one-tap emergency path, drafts,
the outbox with each report's state, the sync indicator, and office feedback notices.
A village head also sees the reports waiting for review."""
from __future__ import annotations

import asyncio
import os

import flet as ft

import forms
from core.errors import JagaError
from fieldapp import conversation, history, i18n, reports
from fieldapp.ui import courier, revoked, syncing
from fieldapp.ui.shell import BLUE, GREEN, RED

SUSPICION, DEPARTURE = "laporan_kecurigaan", "keberangkatan_pmi"


def show(app) -> None:
    if app.session is None:
        app.go("lock")
        return
    s, dev = app.session, app.device
    body: list[ft.Control] = [ft.Text(app.t("hello", name=s.label), size=17, weight=ft.FontWeight.BOLD)]
    body += refused_emergency(app)   # before everything: someone may be in danger and no one was told
    rev = revoked.current(app)       # the office cut this account or phone off: say so first, and
    if rev:                          # offer nothing that starts a report it would never accept
        body.append(revoked.home_card(app, rev))
    elif not s.person_id:
        body += [app.banner(app.t("not_enrolled"), kind="warn"),
                 app.button(app.t("enroll_title"), lambda: app.go("enroll"), kind="outlined",
                            icon=ft.Icons.VERIFIED_USER)]
    elif not _safe(lambda: dev.heads_current(s), True):     # signed head list expired
        body.append(app.banner(app.t("heads_expired"), kind="warn"))
    space = dev.space()
    if space["low"]:                 # warn before a save fails, not after
        body.append(app.banner(app.t("space_low", free=i18n.size_text(space["free"], app.lang)), kind="warn"))
    feedback = _safe(lambda: dev.feedback(s), [])
    new_fb = [f for f in feedback if f.get("state") == "new"]
    if new_fb:
        body.append(app.banner(app.t("new_feedback", n=len(new_fb)), kind="info"))
        body += _office_says(app, new_fb, follow_up=not rev)
    for a in _safe(lambda: dev.alerts(s), []):       # office warnings for the village, signed
        if a.get("state") == "new" and a.get("message"):
            body += [app.banner(app.t("office_alert", message=a["message"]), kind="warn"),
                     app.button(app.t("alert_read"), _mark_read(app, a["item_id"]), kind="text")]
    if s.role == "head":
        body.append(_reviews(app))
    if not rev:
        body += [
            app.button(app.t("btn_urgent") + " — " + app.t("urgent_hint"), lambda: app.go("emergency"),
                       color=RED, icon=ft.Icons.WARNING_AMBER, height=64),
            app.button(app.t("btn_suspicion"), lambda: start(app, SUSPICION), icon=ft.Icons.REPORT, height=64),
            app.button(app.t("btn_departure"), lambda: start(app, DEPARTURE), icon=ft.Icons.DIRECTIONS_BOAT,
                       height=64, kind="outlined"),
        ]
    body.append(_sync_card(app))
    if s.person_id and not rev:      # no signal for days: the outbox can leave in a file
        body.append(courier.card(app, lambda: show(app)))
    body += [_drafts(app, openable=not rev), _outbox(app, feedback, follow_up=not rev)]
    actions = [app.icon_button(ft.Icons.SETTINGS, app.t("settings"), lambda: app.go("settings")),
               app.icon_button(ft.Icons.LOCK, app.t("lock_now"), lambda: app.lock())]
    from fieldapp.ui.lock import title
    app.render(title(app), body, actions=actions)
    _watch(app)


# ── live: the background sync (or another process) changed something ─────
LIVE_SECONDS = float(os.environ.get("JAGA_LIVE_SECONDS", "2"))


def signature(dev, owner: str) -> tuple:
    """What the home screen shows, cheaply: report states, last sync and its error, inbox size.
    Plaintext metadata only (no PIN needed), so it can be polled."""
    st = dev.status()
    return (tuple((r["id"], r["state"], r["last_error"]) for r in dev.outbox(owner=owner)),
            st.get("last_sync"), st.get("inbox"), dev.setting("last_sync_error") or "")


def _connected(app) -> bool:
    try:
        return app.page.session.connection is not None
    except AttributeError:
        return False


def _watch(app) -> None:
    """Redraw home when its data changes, without a tap: the sync runs in a background
    thread (or another process on the same store) and its results must show up by themselves."""
    token = object()
    app.live_token = token
    session = app.session
    before = signature(app.device, session.user_id)

    async def loop() -> None:
        nonlocal before
        while True:
            await asyncio.sleep(LIVE_SECONDS)
            if app.live_token is not token or app.screen != "home" or app.session is not session:
                return
            if not _connected(app):         # the tab is gone: stop polling for it
                return
            try:
                now = signature(app.device, session.user_id)
            except Exception:   # noqa: BLE001 — store busy: try again next round
                continue
            if now != before:
                before = now
                show(app)       # starts a new watcher and retires this one
                return
    app.spawn(loop)


def _safe(fn, default):
    try:
        return fn()
    except JagaError:
        return default


def start(app, form_id: str) -> None:
    app.go("form", form_id=form_id)      # the draft is created by the first change, not by opening


def form_title(app, form_id: str, version: int | None = None) -> str:
    try:
        return forms.load(form_id, version).title(app.lang)
    except JagaError:
        return form_id


# ── drafts ────────────────────────────────────────────────────────────────
def _drafts(app, openable: bool = True) -> ft.Control:
    """The user's drafts; for a revoked user (`openable` False) only listed, with delete: none
    can be sent any more, so none opens into a form."""
    rows: list[ft.Control] = [app.heading(app.t("drafts"))]
    drafts = app.device.drafts(app.session)
    if not drafts:
        rows.append(ft.Text(app.t("no_drafts"), size=15, color="#555555"))
    for d in drafts:
        title = form_title(app, d["form_id"])
        if not openable:
            async def drop(rid=d["id"]):
                if await app.confirm(app.t("delete_draft_q"), app.t("delete"), danger=True):
                    app.device.delete_draft(app.session, rid)
                    show(app)
            rows.append(ft.Row([ft.Icon(ft.Icons.EDIT_OFF, color="#555555"),
                                ft.Text(app.t("rv_draft_row", form=title, day=app.day(d["updated_day"])),
                                        size=15, expand=True),
                                app.icon_button(ft.Icons.DELETE_OUTLINE, app.t("delete_draft"), drop,
                                                color="#555555")], spacing=8))
            continue

        def open_(rid=d["id"]):
            app.go("form", report_id=rid, section=0)

        async def delete(rid=d["id"]):
            if await app.confirm(app.t("delete_draft_q"), app.t("delete"), danger=True):
                app.device.delete_draft(app.session, rid)
                show(app)

        rows.append(ft.Column([
            ft.OutlinedButton(content=ft.Container(ft.Row([ft.Icon(ft.Icons.EDIT_NOTE),
                                                           ft.Text(app.t("open_draft", form=title, day=app.day(d["updated_day"])),
                                                                   size=16, expand=True)], spacing=10),
                                                   padding=ft.Padding.symmetric(vertical=12)),
                              on_click=app.handler(open_),
                              style=ft.ButtonStyle(shape=ft.RoundedRectangleBorder(radius=10))),
            ft.Row([app.icon_button(ft.Icons.DELETE_OUTLINE, app.t("delete_draft"), delete, color="#555555")],
                   alignment=ft.MainAxisAlignment.END)], spacing=0,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH))
    return ft.Column(rows, spacing=8)


# ── outbox ────────────────────────────────────────────────────────────────
REPLY_KINDS = {"info": ("state_returned", BLUE), "forwarded": ("reply_forwarded", GREEN),
               "needs_info": ("reply_needs_info", "#7A5200"), "closed": ("reply_closed", "#555555")}
STATE_KEYS = {"draft": "state_draft", "waiting": "state_waiting", "received": "state_received",
              "returned": "state_returned", "refused": "state_refused", "courier": "state_courier"}


def _outbox(app, feedback: list[dict], follow_up: bool = True) -> ft.Control:
    """Her reports and their states; `follow_up` False (revoked) offers no new report."""
    rows: list[ft.Control] = [app.heading(app.t("outbox"))]
    items = [r for r in app.device.outbox(owner=app.session.user_id) if r["state"] != "draft"]
    if not items:
        rows.append(ft.Text(app.t("no_outbox"), size=15, color="#555555"))
    by_envelope: dict[str, list[dict]] = {}
    for f in feedback:
        key = f.get("envelope_id") or f.get("report_id") or ""
        by_envelope.setdefault(key, []).append(f)
    round_error = app.device.setting("last_sync_error") or ""
    about = summaries(app)
    mine = _safe(lambda: conversation.counts(app.device.db, app.session), {})
    # office messages attach by the envelope id her encrypted binding confirms, never by the
    # plaintext column alone (a swapped column would move them onto another report)
    bound = _safe(lambda: reports.bound_envelope_ids(app.device.db, app.session), {})
    for r in items:
        state = app.t(STATE_KEYS.get(r["state"], "state_waiting"))
        color = {"waiting": "#7A5200", "courier": "#7A5200", "received": GREEN, "returned": BLUE, "refused": RED}.get(r["state"], "#333333")
        lines: list[ft.Control] = [
            ft.Text(f"{form_title(app, r['form_id'], r['form_version'])} · {app.day(r['created_day'])}", size=15,
                    weight=ft.FontWeight.BOLD)]
        lines += _about(app, about.get(r["id"]))
        replies = by_envelope.get(bound.get(r["id"], ""), [])
        if r.get("envelope_id") and r["id"] not in bound:
            lines.append(ft.Text(app.t("conv_unreadable"), size=14, color=RED))
        kind = next((f.get("kind") for f in reversed(replies) if f.get("kind") in REPLY_KINDS), None)
        if r["state"] == "returned" and kind:        # what the office's reply means, in its own words
            state, color = app.t(REPLY_KINDS[kind][0]), REPLY_KINDS[kind][1]
        lines.append(ft.Text(state, color=color, size=15))
        if r["state"] == "courier":      # which reports left by courier, and when
            lines.append(ft.Text(app.t("state_courier_since", day=app.day(r["courier_day"])), size=14,
                                 color="#7A5200"))
        why = r["last_error"] or round_error
        if r["state"] == "waiting" and why:
            lines.append(ft.Text(app.t("state_why", why=_why(app, why)), size=14, color="#7A5200"))
        if r["state"] == "refused":
            lines.append(ft.Text(app.t("state_refused_why", why=_why(app, r["last_error"] or "")), size=14,
                                 color=RED))
        for f in replies:
            lines.append(app.banner(f"{app.t('feedback')}: {f.get('message') or f.get('note') or ''}", "info"))
        # one obvious answer, right under the office's words (a new message has its own at the top)
        can_reply = (follow_up and bool(replies) and r["status"] == "received" and r["id"] in bound
                     and not any(f.get("state") == "new" for f in replies))
        if can_reply:
            lines.append(reply_button(app, r["id"]))
        n = len(replies) + mine.get(r["id"], 0)
        if n and not can_reply:       # the whole thread (her own replies, a new message above, read-only)
            lines.append(app.button(app.t("conv_open", n=n), (lambda rid=r["id"]: app.go("conversation", report_id=rid)),
                                    kind="outlined", icon=ft.Icons.FORUM, height=48))
        rows.append(ft.Container(ft.Column(lines, spacing=4), padding=10, border_radius=8,
                                 border=ft.Border.all(1, "#DDDDDD")))
    return ft.Column(rows, spacing=8)


EMERGENCY = "laporan_darurat"


def reply_button(app, report_id: str) -> ft.Control:
    """"Balas": the thread, with the keyboard already in the reply box."""
    return app.button(app.t("conv_reply_btn"), lambda: app.go("conversation", report_id=report_id, reply=True),
                      icon=ft.Icons.REPLY, height=48)


def _office_says(app, new: list[dict], follow_up: bool) -> list[ft.Control]:
    """Each new office message at the top of home, in its own words, with "Balas" right under
    it (when her report is there to answer) — not a count that sends her looking for it."""
    received = {r["id"] for r in _safe(lambda: app.device.outbox(owner=app.session.user_id), [])
                if r["status"] == "received"}
    by_envelope = {eid: rid for rid, eid in
                   _safe(lambda: reports.bound_envelope_ids(app.device.db, app.session), {}).items()}
    out: list[ft.Control] = []
    for f in new[:3]:
        rid = by_envelope.get(f.get("envelope_id") or f.get("report_id") or "")
        kind = REPLY_KINDS.get(f.get("kind") or "", ("feedback", BLUE))
        lines: list[ft.Control] = [ft.Text(app.t(kind[0]), size=14, weight=ft.FontWeight.BOLD, color=kind[1]),
                                   ft.Text(f.get("message") or f.get("note") or "", size=16)]
        buttons: list[ft.Control] = []
        if follow_up and rid in received:
            buttons.append(reply_button(app, rid))
        buttons.append(app.button(app.t("feedback_read"), _mark_read(app, f["item_id"]), kind="text", height=48))
        out.append(ft.Container(ft.Column(lines + buttons, spacing=6,
                                          horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
                                padding=12, border_radius=8, bgcolor="#E3F0FB", border=ft.Border.all(1, BLUE)))
    return out


def refused_emergency(app) -> list[ft.Control]:
    """Her Darurat reports the office refused (her account was revoked meanwhile, say): the
    office keeps them for its admins, but nobody there is acting on them now — so she must
    call at once, and the screen says it first, with the numbers one tap away."""
    refused = [r for r in _safe(lambda: app.device.outbox(owner=app.session.user_id), [])
               if r["state"] == "refused" and r["form_id"] == EMERGENCY]
    if not refused:
        return []
    return [app.banner(app.t("emg_refused", n=len(refused)), "error"), call_buttons(app)]


def call_buttons(app) -> ft.Control:
    """110 and 112, each one tap to the phone's dialler."""
    return ft.Row([app.button(app.t("emg_call_110"), None, url="tel:110", kind="outlined",
                              icon=ft.Icons.LOCAL_PHONE, height=48, expand=True),
                   app.button(app.t("emg_call_112"), None, url="tel:112", kind="outlined",
                              icon=ft.Icons.LOCAL_PHONE, height=48, expand=True)], spacing=8)


def summaries(app) -> dict[str, dict]:
    """This user's sent-report summaries (what each report was), opened with her key."""
    return _safe(lambda: history.summaries(app.device.db, app.session), {})


def _about(app, summary: dict | None) -> list[ft.Control]:
    """The author's own reminder of what the report was: category · place, and its first words."""
    if not summary:
        return []
    bits = []
    cat = summary.get("category")
    if cat:
        try:
            bits.append(forms.load(summary["form_id"]).field(cat["field"]).choice_label(cat["value"], app.lang))
        except (JagaError, KeyError):
            bits.append(str(cat.get("value", "")))
    if summary.get("place"):
        bits.append(summary["place"])
    out: list[ft.Control] = []
    if bits:
        out.append(ft.Text(" · ".join(bits), size=14, max_lines=2))
    if summary.get("words"):
        out.append(ft.Text(f"\u201c{summary['words']}\u2026\u201d", size=14, color="#555555", italic=True, max_lines=2))
    return out


def _mark_read(app, item_id: str):
    def h():
        app.device.mark_read(item_id)
        show(app)
    return h


def _why(app, last_error: str) -> str:
    return i18n.code_text(last_error.split(":", 1)[0].strip(), app.lang)


# ── sync ──────────────────────────────────────────────────────────────────
def _sync_card(app) -> ft.Control:
    st = app.device.status()
    waiting = st["outbox"]
    last = st.get("last_sync")
    status = ft.Text(app.t("sync_last", when=app.local(last)) if last else app.t("sync_never"),
                     size=15)
    pending = ft.Text(app.t("sync_pending", n=waiting), size=15, visible=bool(waiting))
    bar = ft.ProgressBar(visible=False, semantics_label=app.t("sync_now"))
    note = ft.Text("", size=14)
    if app.device.setting("sync", "on") != "on":
        note.value = app.t("sync_off")
    elif failed_why := app.device.setting("last_sync_error"):
        # a failed round is a warning, not news: say why, and when the phone tries again by itself
        note.value, note.color = retry_text(app, failed_why), WARN

    async def run():
        if not syncing.available():
            note.value, note.color = app.t("sync_unavailable"), RED
            app.page.update()
            return
        if not app.device.sync_token:
            note.value, note.color = app.t("sync_not_enrolled"), RED
            app.page.update()
            return
        bar.visible, bar.value = True, None
        note.value = ""
        app.page.update()
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int, stage: str) -> None:
            def upd():
                bar.value = (done / total) if total else None
                note.value = app.t("sync_running", stage=stage, done=done, total=total)
                app.page.update()
            loop.call_soon_threadsafe(upd)
        try:
            await asyncio.to_thread(syncing.sync_now, app.data_dir, progress)
        except JagaError as exc:
            app.notice, app.notice_kind = retry_text(app, exc), "warn"
        except Exception as exc:   # noqa: BLE001 — a network library error must not lose the screen
            app.notice, app.notice_kind = app.t("sync_failed", why=str(exc)[:120]), "warn"
        else:
            app.notice = app.t("sync_done")
        show(app)

    return ft.Container(ft.Column([
        ft.Row([ft.Icon(ft.Icons.SYNC, color="#0B4F8A"), ft.Column([status, pending], spacing=2, expand=True)]),
        bar, note, app.button(app.t("sync_now"), run, kind="outlined", icon=ft.Icons.CLOUD_UPLOAD, height=48)],
        spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH), padding=10, border_radius=8,
        bgcolor="#F2F6FA")


WARN = "#7A5200"


def retry_text(app, why) -> str:
    """"Sinkron gagal: <why>." and, when the background sync is on, when it tries again."""
    text = app.t("sync_failed", why=i18n.error_text(why, app.lang) if isinstance(why, BaseException)
                 else i18n.code_text(str(why).split(":", 1)[0], app.lang))
    at = syncing.next_try()
    if at and app.device.setting("sync", "on") == "on":
        text += " " + app.t("sync_next_try", when=app.local(int(at * 1000), date=False))
    elif app.device.setting("sync", "on") == "on":
        text += " " + app.t("sync_retry_auto")
    return text


# ── head: reviews ─────────────────────────────────────────────────────────
def _reviews(app) -> ft.Control:
    rows: list[ft.Control] = [app.heading(app.t("reviews"))]
    items = _safe(lambda: app.device.review_items(app.session), [])
    if not items:
        rows.append(ft.Text(app.t("no_reviews"), size=15, color="#555555"))
    for it in items:
        title = it["title"](app.lang) if it.get("ok") else app.t("review_unreadable")
        day = app.local(it["created_ms"]) if it.get("created_ms") else ""
        state = app.t({"new": "review_state_new", "read": "review_state_read",
                       "answered": "review_state_answered"}.get(it["state"], "review_state_new"))
        if it["state"] == "answered":
            mine = _safe(lambda iid=it["item_id"]: history.my_verdict(app.device.db, app.session, iid), None)
            if mine:
                state = app.t("review_my_verdict", verdict=app.t("verdict_" + mine.get("verdict", "")))
        # Wrapping lines, not one long button label: at 360 px nothing is clipped.
        lines: list[ft.Control] = [ft.Text(title, size=16, weight=ft.FontWeight.BOLD), ft.Text(day, size=14)]
        tags = [ft.Text(state, size=14, color=GREEN if it["state"] == "answered" else BLUE)]
        if it.get("flags", {}).get("urgent"):
            tags.insert(0, ft.Container(ft.Text(app.t("urgent_flag"), size=12, color="white",
                                                weight=ft.FontWeight.BOLD),
                                        bgcolor=RED, border_radius=6, padding=ft.Padding.symmetric(horizontal=6)))
        lines.append(ft.Row(tags, wrap=True, spacing=8))
        rows.append(ft.OutlinedButton(
            content=ft.Container(ft.Row([ft.Icon(ft.Icons.FACT_CHECK),
                                         ft.Column(lines, spacing=2, expand=True)], spacing=10),
                                 padding=ft.Padding.symmetric(vertical=10)),
            on_click=app.handler(lambda iid=it["item_id"]: app.go("review", item_id=iid)),
            disabled=not it.get("ok"), style=ft.ButtonStyle(shape=ft.RoundedRectangleBorder(radius=10))))
    return ft.Column(rows, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


about = _about              # shared with the conversation screen
connected = _connected
