"""Red team, round 8 (issue 25): the look-back that makes ring linking independent of arrival
order (branch order25, office/warning/lookback.py) and a name's frequency counted at most
three times per village (branch poison25, rings.NAME_PER_VILLAGE), attacked as an enrolled
phone would attack them.

Attacks on the counting and on what leaves the office run as the attacker would: sealed
reports from enrolled phones through the office's own ingest and its derive worker. Attacks
on arrival order feed the real engine (office/warning/engine.observe) on a real migrated
store, SQLite and PostgreSQL, as tests/warning/test_arrival_order.py does: one office per
order. Tests of code not on main yet need both branches (order25, poison25) merged."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from office import db
from tests.warning.conftest import T0
from tests.warning.test_arrival_order import fresh_office  # noqa: F401 — the fixture: one empty office per order
from tests.warning.test_engine import calo, calo_names, report, run, signals


def _day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


class _Office:
    """A real office store with enrolled volunteers (one per village) that file sealed reports
    through ingest; `derive` runs the derive worker to the end."""

    def __init__(self, tmp_path, n_villages: int) -> None:
        import forms
        from office import enrollment, keys as office_keys, opening
        from office.rollup.volunteer import Volunteer
        from tests.conftest import TEST_OFFICE_KEY
        opening.keep_for_derive(False)
        self.keys = office_keys.load_or_create(tmp_path, TEST_OFFICE_KEY)
        self.engine = db.open_store(tmp_path)
        self.form = forms.load("laporan_kecurigaan")
        self.filed = 0
        with self.engine.begin() as conn:
            villages = [enrollment.add_village(conn, f"Desa {i}", ["Sanggau", "Kapuas Hulu", "Sambas"][i % 3])
                        for i in range(n_villages)]
        self.people = [Volunteer.enrol(self.engine, v, f"Relawan {v}") for v in villages]

    def file(self, who, named: list[list[dict]], rahasia: bool = False) -> list[str]:
        """One sealed report per entry of `named` (its `terlibat`), pushed in one batch."""
        from office.ingest import ingest_batch
        from tests.adversarial.test_redteam_round7 import _seal_for
        sealed = []
        for people in named:
            self.filed += 1
            answers = self.form.example()
            answers["terlibat"] = people
            answers["tempat"] = f"Rumah nomor {self.filed}"          # no shared departure point
            answers["apa_dilihat"] = f"Laporan uji {self.filed}"
            sealed.append(_seal_for(self.keys, who, self.form, answers, rahasia))
        with self.engine.begin() as conn:
            got = ingest_batch(conn, [s.envelope for s in sealed], device_id=who.device_id, keys=self.keys)
        assert {o["status"] for o in got} == {"accepted"}, got
        return [s.envelope_id for s in sealed]

    def derive(self) -> None:
        from office.derive import worker
        worker.exhaust(self.engine, self.keys)

    def rings_of(self) -> dict[str, set[int]]:
        """envelope id -> the live ring signals holding it."""
        from office.warning.schema import warn_signal_reports, warn_signals
        holding: dict[str, set[int]] = {}
        with db.reading(self.engine) as conn:
            for sid, e in conn.execute(select(warn_signal_reports.c.signal_id, warn_signal_reports.c.envelope_id)
                                       .join(warn_signals, warn_signals.c.id == warn_signal_reports.c.signal_id)
                                       .where(warn_signals.c.status != "merged",
                                              warn_signals.c.rule == "same_identifier")):
                holding.setdefault(e, set()).add(sid)
        return holding

    def close(self) -> None:
        self.engine.dispose()


# ---------------------------------------------------------------- 1. poison25: the per-village cap


CALO = "Hj. Kolondam Saparuddin Tandiayu"
_FIRST = "budi agus eko joko dedi rudi andi iwan hendra bambang wahyu asep ujang anto rahmat hasan ali yusuf".split()
_LAST = "santoso wijaya saputra setiawan kurniawan hidayat pratama nugroho siregar lubis nasution harahap".split()


def _background(office: _Office, who: list, n: int = 1000) -> None:
    per = n // len(who)
    for i, v in enumerate(who):
        office.file(v, [[{"peran": "calo", "nama": f"{_FIRST[j % 18]} {_LAST[(j // 18) % 12]}"}]
                        for j in range(i * per, (i + 1) * per)])


def _ring_after(tmp_path, flood) -> tuple[set[int] | None, set[int] | None]:
    """An office of 1,000 calo names from 20 villages; `flood(office, attacker)` files the
    attacker's reports (one enrolled phone of a 23rd village); then the real ring: Desa A and
    Desa B each report the calo by name, as calo, no phone. The ring signals holding A's
    report and B's."""
    office = _Office(tmp_path, 23)
    try:
        background, ring_a, ring_b, attacker = office.people[:20], office.people[20], office.people[21], office.people[22]
        _background(office, background)
        flood(office, attacker)
        office.derive()
        [a] = office.file(ring_a, [[{"peran": "calo", "nama": CALO}]])
        office.derive()
        [b] = office.file(ring_b, [[{"peran": "calo", "nama": "Kolondam Saparudin Tandiayu"}]])   # its own spelling
        office.derive()
        holding = office.rings_of()
    finally:
        office.close()
    print("\nsignals holding the ring's reports:", holding.get(a), holding.get(b))
    return holding.get(a), holding.get(b)


# ---------------------------------------------------------------- 2. order25: the look-back's cap


def _the_ring(office, member: str) -> set[str]:
    [ring] = [s for s in signals(office, "same_identifier") if s["status"] != "merged" and member in s["envs"]]
    return ring["envs"]


@pytest.mark.parametrize("beyond", ["one_round"])      # every_round: open_round8.py
def test_more_earlier_reports_than_the_look_back_asks_still_join_in_either_order(fresh_office, beyond):  # noqa: F811
    """The look-back asks at most LOOK_BACK_CAP stored reports per round, LOOK_BACK_ROUNDS
    rounds. Desa 1 names the calo "Nur Wulandari" (a name the office's 1,000 calo names do
    not hold) in LOOK_BACK_CAP + 10 reports (one_round: order25 marked every report it meant
    to ask as asked, the ten past the cap too, so the second round asked none of them — fixed
    on red8) or LOOK_BACK_CAP x LOOK_BACK_ROUNDS + 10 (every_round: ten are left however the
    rounds go), name only: a village naming its own people again is no ring.
    The ring forms through a plate: Desa 1's report naming the calo with it, and Desa 3's.
    Arriving after the ring, each of the 110 joins it (its village's ring report with an
    identifier and Desa 3). Arriving before, they must join too — not the newest ones only."""
    from office.warning import lookback
    early_n = lookback.LOOK_BACK_CAP * (1 if beyond == "one_round" else lookback.LOOK_BACK_ROUNDS) + 10
    early = [report(1, _day(0) + dt.timedelta(minutes=i), **calo(nama="Nur Wulandari")) for i in range(early_n)]
    ring = [report(1, _day(10), **calo(nama="Nur Wulandari", plat="KT 6625 XY")),
            report(3, _day(12), **calo(nama="Nur Wulandari", plat="KT-6625-XY"))]
    seen = []
    for name, batches in (("ring_first", [ring[:1], ring[1:]] + [[r] for r in early]),
                          ("ring_last", [early[k:k + 10] for k in range(0, early_n, 10)] + [ring[:1], ring[1:]])):
        office = fresh_office(name, 40)
        calo_names(office, T0 - dt.timedelta(days=20))
        for batch in batches:     # a Report keeps the link keys it was made under: a fresh one per office
            run(office, [dataclasses.replace(r, facts=None, places=None, links=None) for r in batch])
        seen.append(_the_ring(office, ring[0].envelope_id))
    print("\nring sizes, ring first / ring last:", [len(s) for s in seen])
    assert seen[0] == {r.envelope_id for r in early + ring}, len(seen[0])
    assert seen[1] == seen[0], f"arrival order decided {len(seen[0]) - len(seen[1])} reports' ring"


# ---------------------------------------------------------------- 3. poison25: the weekly spike told to the partner


class _Quiet:
    """One village quiet for ten weeks (one ordinary report a week) and a partner webhook
    receiver: `file` backdates a report into the week of `monday` (last week's Monday)."""

    def __init__(self, tmp_path) -> None:
        from office.warning import webhook
        from tests.warning.test_webhook import SECRET, Receiver
        self.office = _Office(tmp_path, 1)
        today = dt.datetime.now(dt.timezone.utc)
        self.monday = (today - dt.timedelta(days=today.weekday() + 7)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.rx = Receiver()
        self.hook = webhook.Webhook(self.rx.url, SECRET)
        for w in range(10, 0, -1):
            self.file(self.monday - dt.timedelta(weeks=w) + dt.timedelta(days=1), False)

    def file(self, when: dt.datetime, rahasia: bool) -> None:
        from office.ingest import ingest_batch
        from tests.adversarial.test_redteam_round7 import _seal_for
        office, [who] = self.office, self.office.people
        answers = office.form.example()
        answers["apa_dilihat"] = f"Laporan uji {when.isoformat()}"
        with office.engine.begin() as conn:
            got = ingest_batch(conn, [_seal_for(office.keys, who, office.form, answers, rahasia).envelope],
                               device_id=who.device_id, keys=office.keys, now=when)
        assert {o["status"] for o in got} == {"accepted"}, got

    def deliver(self) -> dict:
        from office.warning import webhook
        self.office.derive()
        return webhook.deliver_pending(self.office.engine, self.hook)

    def spike(self) -> tuple[int, dict]:
        import json
        from office.warning.schema import warn_signals
        with db.reading(self.office.engine) as conn:
            [(sid, detail)] = conn.execute(select(warn_signals.c.id, warn_signals.c.detail)
                                           .where(warn_signals.c.rule == "weekly_spike")).all()
        return sid, json.loads(detail)

    def told(self, sid: int) -> list[dict]:
        import json
        return [b for b in (json.loads(body) for body, _ in self.rx.got) if b["signal_id"] == sid]

    def close(self) -> None:
        self.office.close()
        self.rx.close()


def test_a_rahasia_report_in_a_spike_week_sends_the_partner_nothing_new(tmp_path):
    """Sambas is quiet for ten weeks (one ordinary report a week); this week five ordinary
    reports raise a weekly spike and the partner webhook is told: 5 reports. Then one
    volunteer files a RAHASIA report in the same week. What the partner may know has not
    changed — the ordinary reports alone make the same spike — so it must get no second
    delivery: a second POST (same counts, a new updated_at) tells it that a report it may not
    know of reached the office, and when (updated_at is that report's derive time)."""
    quiet = _Quiet(tmp_path)
    try:
        for i in range(5):
            quiet.file(quiet.monday + dt.timedelta(days=1, hours=i), False)
        first = quiet.deliver()
        quiet.file(quiet.monday + dt.timedelta(days=2), True)
        second = quiet.deliver()
        sid, staff = quiet.spike()
        told = [(b["reports"], b["updated_at"]) for b in quiet.told(sid)]
    finally:
        quiet.close()
    print("\nstaff see", staff["reports"], "reports; deliveries:", first, second, "told:", told)
    assert staff["reports"] == 6                    # staff do see the rahasia report in the spike
    assert told and told[0][0] == 5, told
    assert len(told) == 1, f"the partner was told again after a rahasia report alone: {told}"


def test_a_spike_first_raised_by_rahasia_reports_is_told_as_raised_by_the_ordinary_ones(tmp_path):
    """This week five RAHASIA reports raise a weekly spike (staff see it; the partner is told
    nothing: they alone make it). A day later five ordinary reports make the spike on their
    own, and the partner is told of it: 5 reports. The body must not say the signal existed
    before those ordinary reports came: its created_at is the moment the rahasia reports
    raised it, earlier than any report the partner may know of."""
    from office import clock
    quiet = _Quiet(tmp_path)
    try:
        for i in range(5):
            quiet.file(quiet.monday + dt.timedelta(days=1, hours=i), True)
        first = quiet.deliver()
        ordinary_from = clock.iso(clock.now())
        for i in range(5):
            quiet.file(quiet.monday + dt.timedelta(days=2, hours=i), False)
        second = quiet.deliver()
        sid, staff = quiet.spike()
        told = [(b["reports"], b["created_at"]) for b in quiet.told(sid)]
    finally:
        quiet.close()
    print("\nstaff see", staff["reports"], "reports; deliveries:", first, second, "told:", told,
          "ordinary reports derived from", ordinary_from)
    assert first["sent"] == 0 and staff["reports"] == 10
    assert [n for n, _ in told] == [5], told
    assert told[0][1] >= ordinary_from, f"created_at {told[0][1]} is before any ordinary report ({ordinary_from})"


@pytest.mark.parametrize("rahasia_first", [False, True], ids=["rahasia_joins", "rahasia_raises"])
def test_a_ring_is_told_to_the_partner_as_its_ordinary_reports_make_it(tmp_path, rahasia_first):
    """The ring twin of the two spike tests above. `rahasia_joins`: Desa 0 and Desa 1 report a
    calo's phone, the partner is told (2 reports); then Desa 2 files a RAHASIA report with
    the phone — the ring grows for staff, but the partner must get no second delivery.
    `rahasia_raises`: RAHASIA reports from Desa 0 and Desa 1 raise the ring first (the
    partner is told nothing), then ordinary ones from Desa 1 and Desa 2 make it: the body's
    created_at must not be earlier than those ordinary reports."""
    import json
    from office import clock
    from office.warning import webhook
    from tests.warning.test_webhook import SECRET, Receiver
    office, rx = _Office(tmp_path, 3), Receiver()
    hook = webhook.Webhook(rx.url, SECRET)
    phone = [[{"peran": "calo", "nama": "Darmaji", "telepon": "0812 7777 3333"}]]

    def deliver() -> dict:
        office.derive()
        return webhook.deliver_pending(office.engine, hook)
    try:
        if rahasia_first:
            office.file(office.people[0], phone, rahasia=True)
            office.file(office.people[1], phone, rahasia=True)
            first = deliver()
            ordinary_from = clock.iso(clock.now())
            office.file(office.people[1], phone)
            office.file(office.people[2], phone)
        else:
            office.file(office.people[0], phone)
            office.file(office.people[1], phone)
            first = deliver()
            ordinary_from = None
            office.file(office.people[2], phone, rahasia=True)
        second = deliver()
        rings = {s for held in office.rings_of().values() for s in held}
        told = [json.loads(body) for body, _ in rx.got]
    finally:
        office.close()
        rx.close()
    print("\nrings:", rings, "deliveries:", first, second,
          "told:", [(b["reports"], b["created_at"], b["updated_at"]) for b in told])
    assert len(rings) == 1 and {b["signal_id"] for b in told} == rings, (rings, told)
    assert [b["reports"] for b in told] == [2], f"the partner was told of a rahasia report: {told}"
    if rahasia_first:
        assert first["sent"] == 0
        assert told[0]["created_at"] >= ordinary_from, f"created_at {told[0]['created_at']} is before any ordinary report"


# ---------------------------------------------------------------- 4. order25: pulling strangers in by looking back


# ---------------------------------------------------------------- 5. order25: the look-back's cost


_RARE = "kolondam saparuddin tandiayu wulandari sumampouw lumentut pangemanan rarung sondakh mamahit".split()


def test_twenty_rings_forming_in_one_batch_make_the_look_back_ask_a_bounded_number_of_reports(fresh_office, monkeypatch):  # noqa: F811
    """The attacker's way to make looking back expensive: twenty rings form in one batch, each
    named by reports naming ten people (the form's most), and each ring's village had filed 30
    earlier reports naming the same ten (a village naming its own people: no ring) — 600
    stored reports, 6,000 names, that the batch's names met without linking. The look-back
    asks at most LOOK_BACK_CAP stored reports a round, LOOK_BACK_ROUNDS rounds, whatever the
    batch: the cost a batch adds is bounded, not a walk over what its names met."""
    from office.warning import lookback
    asked: list[int] = []
    real = lookback._stored

    def counting(conn, keys, envs):
        out = real(conn, keys, envs)
        asked.append(sum(len(s.people) for s in out))
        return out
    monkeypatch.setattr(lookback, "_stored", counting)

    def ten(i: int, **extra) -> dict:
        return {"terlibat": [{"peran": "calo", "nama": f"{_RARE[k]} {_RARE[(k + i + 1) % 10]}{'i' * (i // 9 + 1)}", **extra}
                             for k in range(10)]}
    office = fresh_office("cost", 40)
    for i in range(20):
        run(office, [report(1 + i, _day(0) + dt.timedelta(minutes=i * 30 + m), **ten(i)) for m in range(30)])
    batch = [report(v, _day(5) + dt.timedelta(minutes=i), **ten(i, plat=f"KT {1000 + i} XY"))
             for i in range(20) for v in (1 + i, 21 + i)]
    asked.clear()
    run(office, batch)
    rings = [s for s in signals(office, "same_identifier") if s["status"] != "merged"]
    print("\nrings:", len(rings), "names asked again per round:", asked)
    assert len(rings) >= 20
    assert len(asked) <= lookback.LOOK_BACK_ROUNDS
    assert all(n <= lookback.LOOK_BACK_CAP * 10 for n in asked), asked


def test_a_phone_repeating_one_junk_name_does_not_make_every_name_look_common(tmp_path):
    """poison25 weighs a word by its share of the names each village named, a name counted at
    most three times there — but the chance test's window still counts every name. So the
    attacker (one enrolled phone, its own village) files 300 reports each naming the same
    junk driver ten times: 3,000 names in the window, one name in the shares. The window's
    expected mentions of EVERY name rise fourfold. Then the real ring: Desa A and Desa B each
    report the calo "Hj. Kolondam Saparuddin Tandiayu" by name, as calo, no phone. It must
    still link."""
    def flood(office: _Office, attacker) -> None:
        for _ in range(6):
            office.file(attacker, [[{"peran": "sopir", "nama": "Bejo Sutarjo"}] * 10 for _ in range(50)])
    a, b = _ring_after(tmp_path, flood)
    assert a and a == b, \
        "the ring of two villages no longer links by name after one junk name filled the window"


def test_the_same_reports_in_one_push_or_one_at_a_time_give_the_same_ring(fresh_office):  # noqa: F811
    """Seed 25's ring 10 (tests/warning/test_arrival_order.py: a name-only report in Desa 1,
    the plate ring forming later in Desa 2, 1 and 3), reaching the office as a courier file
    or a phone long offline delivers it — all four in one push — and one report a push in
    reverse order: the same ring, the name-only report in it, either way."""
    from tests.warning.test_arrival_order import ring_ten
    reports = ring_ten()
    seen = []
    for name, batches in (("one_push", [reports]), ("reversed", [[r] for r in reports[::-1]])):
        office = fresh_office(name)
        for batch in batches:
            run(office, [dataclasses.replace(r, facts=None, places=None, links=None) for r in batch])
        seen.append(_the_ring(office, reports[-1].envelope_id))
    print("\nring sizes, one push / reversed:", [len(s) for s in seen])
    assert seen[0] == seen[1] == {r.envelope_id for r in reports}, [len(s) for s in seen]
