"""The incident time a phone offers is the real instant, read on the clock of the zone it shows.

Issue 24 item 1: the default "waktu kejadian" and "Sekarang" took the app process's own
local time and labelled it with the zone the phone displays — a phone running in UTC with
WITA chosen filled 05:30 while its sync line read 13:29 WITA. Here the process runs with its
TZ set to UTC, WIB, WITA and WIT (POSIX zone strings, no tzdata needed) against each chosen
zone; the default, "Sekarang" (the shell's wall clock), the seal-time check and the zone
sealed with the report must all agree with the instant shown in the chosen zone.
"""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest

import forms
from core import localtime
from fieldapp.ui.form import defaults
from sync import envelope

RUNTIMES = {"UTC": "UTC0", "WIB": "WIB-7", "WITA": "WITA-8", "WIT": "WIT-9"}


@pytest.fixture(params=sorted(RUNTIMES))
def runtime_tz(request, monkeypatch):
    """The phone process's own zone (what dt.datetime.now() reads)."""
    monkeypatch.setenv("TZ", RUNTIMES[request.param])
    monkeypatch.delenv("JAGA_TZ", raising=False)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _minutes_apart(a: str, b: dt.datetime) -> float:
    return abs((dt.datetime.fromisoformat(a) - b).total_seconds()) / 60


@pytest.mark.parametrize("chosen", sorted(localtime.ZONES))
def test_default_time_is_the_instant_on_the_chosen_zones_clock(runtime_tz, chosen):
    shown = localtime.to_local(dt.datetime.now(dt.timezone.utc), chosen).replace(tzinfo=None)   # the sync line
    filled = defaults("laporan_kecurigaan", zone=chosen)["waktu_kejadian"]
    assert _minutes_apart(filled, shown) < 2, (runtime_tz, chosen, filled, shown)
    assert defaults("keberangkatan_pmi", zone=chosen)["tanggal"] == shown.date().isoformat()
    # the formatted line a person reads carries the same hour and minute as the answer
    assert localtime.format(dt.datetime.now(dt.timezone.utc), chosen, date=False).endswith(f" {chosen}")


@pytest.mark.parametrize("chosen", sorted(localtime.ZONES))
def test_now_on_the_chosen_clock_is_never_in_the_future(runtime_tz, chosen):
    form = forms.load("laporan_kecurigaan")
    answers = {**form.example(), "waktu_kejadian": localtime.wall_clock(chosen).strftime("%Y-%m-%dT%H:%M")}
    assert form.validate(answers, "id", localtime.wall_clock(chosen)) == {}
    hour_later = (localtime.wall_clock(chosen) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert "waktu_kejadian" in form.validate({**answers, "waktu_kejadian": hour_later}, "id",
                                             localtime.wall_clock(chosen))


def test_the_shell_offers_the_chosen_zones_clock(monkeypatch, device):
    from fieldapp.ui.shell import App
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    try:
        device.set_setting("tz", "WITA")
        app = App.__new__(App)           # the shell's clock needs only its device
        app.device = device
        expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)
        assert abs((app.wall_clock() - expected.replace(tzinfo=None)).total_seconds()) < 90
        assert app.zone() == "WITA"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("chosen", sorted(localtime.ZONES))
def test_a_report_filled_now_seals_with_its_zone(runtime_tz, chosen, device, volunteer, office):
    device.set_setting("tz", chosen)
    form = forms.load("laporan_kecurigaan")
    answers = {**form.example(), **defaults(form.id, zone=chosen)}
    device.file(volunteer, form.id, answers)      # "now" in WIT is not "in the future" for a UTC process
    blob = device.db.conn.execute("SELECT envelope FROM reports WHERE status='sealed'").fetchone()[0]
    payload = envelope.open(blob, recipient_key=office.x,
                            author_public=volunteer.ed25519.public_key()).payload
    assert payload["zone"] == chosen
    assert payload["answers"]["waktu_kejadian"] == answers["waktu_kejadian"]
    assert os.environ["TZ"] == RUNTIMES[runtime_tz]
