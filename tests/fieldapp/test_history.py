"""The sent list's summary: what tells one sent report from another, kept under her key."""
from __future__ import annotations

import forms
from fieldapp import history


def test_a_pmi_v3_summary_names_where_the_departure_was_seen():
    form = forms.load("keberangkatan_pmi", 3)
    answers = {**form.example(), "tempat_terlihat": "Desa Aji Kuning, Sebatik Tengah",
               "tempat_berangkat": "Dermaga Sungai Nyamuk"}
    got = history.summary(form.id, answers)
    assert got["form_id"] == "keberangkatan_pmi"
    assert got["place"] == "Desa Aji Kuning, Sebatik Tengah"      # where seen, not where it left from


def test_an_older_pmi_summary_falls_back_to_the_departure_point_and_the_suspicion_form_keeps_tempat():
    v2 = forms.load("keberangkatan_pmi", 2)
    assert history.summary(v2.id, {**v2.example(), "tempat_berangkat": "Dermaga Sungai Nyamuk"})["place"] \
        == "Dermaga Sungai Nyamuk"
    kec = forms.load("laporan_kecurigaan")
    answers = {**kec.example(), "tempat": "Pasar Aji Kuning"}
    assert history.summary(kec.id, answers)["place"] == "Pasar Aji Kuning"


def test_the_pmi_place_is_kept_under_her_key_and_read_back(device, volunteer, tmp_path):
    form = forms.load("keberangkatan_pmi", 3)
    answers = {**form.example(), "tempat_terlihat": "Dusun Tanjung Karang"}
    rid = device.new_draft(volunteer, form.id, answers)
    device.finalize(volunteer, rid)
    history.save_summary(device.db, volunteer, rid, history.summary(form.id, answers))
    assert history.summaries(device.db, volunteer)[rid]["place"] == "Dusun Tanjung Karang"
    device.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [p for p in (tmp_path / "dev").rglob("*") if p.is_file()]
    assert files and not any(b"Tanjung Karang" in p.read_bytes() for p in files)   # never in the clear
