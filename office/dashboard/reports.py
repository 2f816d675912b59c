"""One report for staff: detail (opened with the office key), photos, triage, feedback."""
from __future__ import annotations

from sqlalchemy import Connection, and_, insert, or_, select, update

from core import localtime
from core.errors import BadRequest, EnvelopeError, NotFound
from office import clock, conversation, opening, regions
from office.feedback import send_feedback
from office.ingest.attachments import blob as stored_attachment
from office.keys import OfficeKeys
from office.schema import attachments, envelopes, persons, reviews, staff as staff_table, villages

from . import derived, indexer, partner_view
from .i18n import TRIAGE
from .schema import dash_events, dash_reports

SKEW_SHOWN_MS = 5 * 60 * 1000      # phone and office clocks "differ" beyond 5 minutes
MAX_FEEDBACK = 1000
MAX_NOTE = 2000


def ms_iso(ms: int) -> str:
    return clock.iso_ms(ms) or f"({ms} ms)"


def report_row(conn: Connection, envelope_id: str) -> dict:
    row = conn.execute(select(envelopes).where(envelopes.c.id == envelope_id[:36])).first()
    if row is None:
        raise NotFound("no such report")
    return row


def ensure_indexed(conn: Connection, keys: OfficeKeys, row, *, write: bool = True) -> dict:
    """The report's dashboard projection. Ingest writes it; only a row stored by older code
    (not yet reached by the start-up backfill) lacks one: a POST indexes it, a GET (which
    must not write) derives it in memory."""
    got = conn.execute(select(dash_reports).where(dash_reports.c.envelope_id == row.id)).mappings().first()
    if got is None and write:
        indexer.index_one(conn, keys, row)
        got = conn.execute(select(dash_reports).where(dash_reports.c.envelope_id == row.id)).mappings().first()
    if got is None:
        opened = indexer.open_report(conn, keys, row)
        d = indexer.derive(row.form_id, opened.payload if opened is not None else {})
        d["geo"] = derived.seal_geo(keys, row.id, d.pop("lat"), d.pop("lon"))
        return {**d, "envelope_id": row.id, "village_id": row.village_id, "form_id": row.form_id,
                "received_at": row.received_at, "created_ms": row.created_ms,
                "has_photo": bool(row.has_photo), "opened": opened is not None,
                "triage": row.triage or "new", "assignee_id": None}
    return dict(got)


def typed_zone(payload: dict | None = None, kode_wilayah: str | None = None, region: str | None = None) -> str:
    """The zone of the wall clock a volunteer typed a date-time in. The answer is stored as she
    typed it (no offset), so pages and exports name the zone rather than convert it. In order:
    the zone her phone sealed with the report; her village's Kemendagri province code (its own,
    else the one of the kabupaten/province its region names: "Nunukan" is 65, WITA); a
    province named in the region text; else the office's zone."""
    sealed = payload.get("zone") if isinstance(payload, dict) else None
    if isinstance(sealed, str) and sealed in localtime.ZONES:
        return sealed
    return (localtime.zone_for_code(kode_wilayah) or localtime.zone_for_code(regions.code_of_area(region))
            or localtime.zone_for_region(region) or localtime.zone())


def without_free_text(d: dict, form_id: str, version: int, lang: str) -> dict:
    """A detail with every free-text answer removed, at every depth (partner tokens without
    the free_text grant): names, places, phone numbers and descriptions live in text fields,
    also inside repeat groups; codes do not. See partner_view."""
    form = indexer.load_form(form_id, version)
    if form is None:
        return {**d, "answers": {}, "summary": []}
    answers = partner_view.codes_only(form.fields, d["answers"])
    try:
        summary = form.summary(answers, lang, d.get("typed_zone") or typed_zone(region=d.get("region")))
    except Exception:          # a damaged answer set: codes only, no labels
        summary = []
    return {**d, "answers": answers, "summary": summary}


def without_voice(d: dict, form_id: str, version: int, lang: str) -> dict:
    """A detail without its voice notes, for every partner token whatever its grants: a note is
    played by staff on the report page and never leaves the office, not even as an attachment
    id (tests/adversarial/test_redteam_voice.py)."""
    form = indexer.load_form(form_id, version)
    names = {f.name for f in form.fields if f.type == "audio"} if form else set()
    if not names:
        return d
    labels = {form.field(n).label(lang) for n in names}
    return {**d, "answers": {k: v for k, v in d["answers"].items() if k not in names},
            "summary": [p for p in d["summary"] if p[0] not in labels], "voices": []}


def assignees(conn: Connection, village_id: int) -> list[dict]:
    region = conn.execute(select(villages.c.region).where(villages.c.id == village_id)).scalar()
    cond = staff_table.c.role == "admin"
    if region:
        cond = or_(cond, and_(staff_table.c.role == "intel", staff_table.c.region == region))
    return [dict(m) for m in conn.execute(
        select(staff_table.c.id, staff_table.c.username, staff_table.c.role)
        .where(and_(cond, staff_table.c.disabled_at.is_(None))).order_by(staff_table.c.username)).mappings()]


def _review_entries(conn: Connection, keys: OfficeKeys, envelope_id: str) -> list[dict]:
    out = []
    rows = conn.execute(select(reviews, persons.c.name, persons.c.ed25519_public)
                        .join(persons, persons.c.id == reviews.c.head_id)
                        .where(reviews.c.report_id == envelope_id).order_by(reviews.c.received_at)).all()
    for r in rows:
        payload = opening.payload_of(opening.open_stored(keys, r.data, r.ed25519_public))
        note = payload.get("note") if payload is not None and isinstance(payload.get("note"), str) else None
        out.append({"at": r.received_at, "kind": "review", "verdict": r.verdict, "who": r.name,
                    "note": note, "phone_at": ms_iso(r.created_ms)})
    return out


def _event_entries(conn: Connection, keys: OfficeKeys, envelope_id: str) -> list[dict]:
    names = dict(conn.execute(select(staff_table.c.id, staff_table.c.username)).all())
    out = []
    for e in conn.execute(select(dash_events).where(dash_events.c.envelope_id == envelope_id)
                          .order_by(dash_events.c.id)).mappings():
        out.append({"at": e["at"], "kind": e["kind"], "who": names.get(e["staff_id"], "cli" if e["staff_id"] == 0 else "?"),
                    "from_state": e["from_state"], "to_state": e["to_state"],
                    "assignee": names.get(e["assignee_id"]) if e["assignee_id"] else None,
                    "note": derived.open_note(keys, envelope_id, e["note"])})
    return out


def detail(conn: Connection, keys: OfficeKeys, envelope_id: str, lang: str) -> dict:
    row = report_row(conn, envelope_id)
    proj = ensure_indexed(conn, keys, row, write=False)
    person = conn.execute(select(persons.c.name, persons.c.role).where(persons.c.id == row.author_id)).first()
    village = conn.execute(select(villages.c.name, villages.c.region, villages.c.kode_wilayah)
                           .where(villages.c.id == row.village_id)).first()
    opened = indexer.open_report(conn, keys, row)
    form = indexer.load_form(row.form_id, row.form_version)
    summary, answers, photos, gps = [], {}, [], None
    zone = typed_zone(opened.payload if opened is not None else None, village.kode_wilayah if village else None,
                      village.region if village else None)
    if opened is not None:
        answers = opened.payload.get("answers") if isinstance(opened.payload.get("answers"), dict) else {}
        if form is not None:
            try:
                summary = form.summary(answers, lang, zone)
            except Exception:      # a damaged answer set must not hide the rest of the page
                summary = [(k, str(v)) for k, v in answers.items()]
        else:
            summary = [(k, str(v)) for k, v in answers.items()]
        lat, lon = derived.open_geo(keys, row.id, proj["geo"])
        if lat is not None:
            acc = next((v.get("accuracy") for v in answers.values() if isinstance(v, dict)
                        and v.get("lat") == lat), None)
            gps = {"lat": lat, "lon": lon, "accuracy": acc}
    held = {a.att_id: a.complete for a in conn.execute(
        select(attachments.c.att_id, attachments.c.complete).where(attachments.c.envelope_id == row.id))}
    # A voice note is an attachment like a photo; the answers say which ids are recordings.
    voice_ids = {str(a).lower() for f in (form.fields if form else []) if f.type == "audio"
                 for a in (answers.get(f.name) if isinstance(answers.get(f.name), list) else [])}
    photos = [{"att_id": a, "complete": bool(c)} for a, c in held.items() if a not in voice_ids]
    voices = [{"att_id": a, "complete": bool(c)} for a, c in held.items() if a in voice_ids]
    timeline = [{"at": ms_iso(row.created_ms), "kind": "phone"},
                {"at": row.received_at, "kind": "received"}]
    timeline += _review_entries(conn, keys, row.id) + _event_entries(conn, keys, row.id)
    timeline.sort(key=lambda e: e["at"])
    latest = [e for e in timeline if e["kind"] == "review"]
    return {
        "id": row.id, "form_id": row.form_id, "form_version": row.form_version,
        "form_title": form.title(lang) if form else row.form_id,
        "village_id": row.village_id, "village": village.name if village else "?",
        "region": village.region if village else None, "typed_zone": zone,
        "author": person.name if person else "?", "device_id": row.device_id,
        "phone_at": ms_iso(row.created_ms), "received_at": row.received_at, "skew_ms": row.skew_ms,
        "clock_differs": abs(row.skew_ms) > SKEW_SHOWN_MS, "opened": opened is not None,
        "summary": summary, "answers": answers, "photos": photos, "voices": voices, "gps": gps,
        "complete": bool(row.complete), "missing": sum(1 for c in held.values() if not c),
        "rahasia": bool(row.rahasia), "urgent": proj["urgent"], "children": proj["children"],
        "urgency": proj["urgency"], "category": proj["category"], "route": proj["route"],
        "triage": proj["triage"], "assignee_id": proj["assignee_id"],
        "verdict": latest[-1]["verdict"] if latest else None, "timeline": timeline,
        "thread": conversation.thread(conn, keys, row.id, _feedback_senders(conn, row.id)),
    }


def _feedback_senders(conn: Connection, envelope_id: str) -> dict[str, str]:
    """feedback envelope id -> the staff member who sent it (from the audited sends)."""
    return {ref: name for ref, name in conn.execute(
        select(dash_events.c.ref_id, staff_table.c.username)
        .join(staff_table, staff_table.c.id == dash_events.c.staff_id)
        .where(and_(dash_events.c.envelope_id == envelope_id, dash_events.c.kind == "feedback")))
        if ref}


def photo(conn: Connection, keys: OfficeKeys, envelope_id: str, att_id: str) -> tuple[bytes, str]:
    row = report_row(conn, envelope_id)
    blob = stored_attachment(conn, row.id, att_id[:32])
    opened = indexer.open_report(conn, keys, row)
    if blob is None or opened is None:
        raise NotFound("no such photo, or it is not fully received")
    try:
        data = opened.attachment(att_id, blob)
    except EnvelopeError:
        raise NotFound("the photo cannot be decrypted") from None
    kind = ("image/jpeg" if data[:2] == b"\xff\xd8" else "image/png" if data[:4] == b"\x89PNG"
            else "audio/ogg" if data[:4] == b"OggS" else "application/octet-stream")
    return data, kind


def set_triage(conn: Connection, keys: OfficeKeys, staff: dict, envelope_id: str, state: str,
               note: str, assignee_id: str | int | None) -> None:
    if state not in TRIAGE:
        raise BadRequest(f"state must be one of {', '.join(TRIAGE)}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise BadRequest(f"note is longer than {MAX_NOTE} characters")
    row = report_row(conn, envelope_id)
    proj = ensure_indexed(conn, keys, row)
    assignee = None
    if assignee_id not in (None, ""):
        allowed = {a["id"] for a in assignees(conn, row.village_id)}
        if not (str(assignee_id).isascii() and str(assignee_id).isdigit()) or int(assignee_id) not in allowed:
            raise BadRequest("the assignee is not a staff member for this village")
        assignee = int(assignee_id)
    conn.execute(update(dash_reports).where(dash_reports.c.envelope_id == row.id)
                 .values(triage=state, assignee_id=assignee))
    conn.execute(update(envelopes).where(envelopes.c.id == row.id).values(triage=state))
    conn.execute(insert(dash_events).values(
        envelope_id=row.id, at=clock.iso(clock.now()), staff_id=staff["id"], kind="triage",
        from_state=proj["triage"], to_state=state, assignee_id=assignee,
        note=derived.seal_note(keys, row.id, note) if note else None))


def send(conn: Connection, keys: OfficeKeys, staff: dict, envelope_id: str, message: str,
         kind: str | None = None) -> str:
    message = (message or "").strip()
    if not message:
        raise BadRequest("the feedback message is empty")
    if len(message) > MAX_FEEDBACK:
        raise BadRequest(f"the feedback message is longer than {MAX_FEEDBACK} characters")
    row = report_row(conn, envelope_id)
    fid = send_feedback(conn, row.id, message, keys=keys, kind=kind)
    conn.execute(insert(dash_events).values(
        envelope_id=row.id, at=clock.iso(clock.now()), staff_id=staff["id"], kind="feedback",
        note=derived.seal_note(keys, row.id, message), ref_id=fid))
    return fid
