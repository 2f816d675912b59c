"""Voice notes on the phone: encoded small, tag-free, kept in the draft, sealed like a photo.

The PCM is the speech-like test signal (jaga_desa/testing/voice.py); the encoder and the
decoder are the real libopus, so "it plays back whole" is decoded, not assumed."""
import struct

import pytest

import forms
from core.errors import ValidationFailed
from fieldapp import voice
from fieldapp.reports import Immutable
from jaga_desa.testing.voice import speech_like_pcm
from sync import envelope

PCM_20S = speech_like_pcm(20)


def test_a_minute_of_speech_is_at_most_120_kb_and_decodes_whole():
    note = voice.encode(speech_like_pcm(60))
    assert len(note) <= 120_000, len(note)
    samples, granule = voice.decode(note)
    assert granule == 60 * 48000                   # the header's length: exactly what was said
    assert 60 * 48000 <= samples < 60 * 48000 + 48000 // 10
    assert voice.seconds(note) == 60.0


def test_the_container_holds_nothing_but_what_playback_needs():
    note = voice.encode(PCM_20S)
    pages = voice.pages(note)                      # every page's CRC checked
    head, tags = pages[0][2][0], pages[1][2][0]
    assert head.startswith(b"OpusHead") and struct.unpack_from("<BBHIhB", head, 8)[1] == 1   # mono
    vendor_len = struct.unpack_from("<I", tags, 8)[0]
    assert tags[12:12 + vendor_len] == b"jaga-desa"
    assert struct.unpack_from("<I", tags, 12 + vendor_len)[0] == 0                            # no comments
    assert len(tags) == 12 + vendor_len + 4
    assert pages[0][0] == 0x02 and pages[-1][0] == 0x04 and all(p[0] == 0 for p in pages[1:-1])


def test_stereo_is_folded_to_mono_and_the_length_is_capped():
    stereo = b"".join(PCM_20S[i:i + 2] * 2 for i in range(0, len(PCM_20S), 2))
    assert voice.seconds(voice.encode(stereo, channels=2)) == 20.0
    long = speech_like_pcm(1) * (voice.MAX_SECONDS + 5)
    assert voice.seconds(voice.encode(long)) == voice.MAX_SECONDS


@pytest.mark.parametrize("rate", [44100, 48000, 16000])
def test_the_web_recorders_own_rate_is_read_off_the_clock_and_folded_to_opus(rate):
    """record_web streams at the browser's AudioContext rate (44.1 kHz in this Chromium) whatever
    it is asked: the rate is guessed from bytes and wall-clock time, and 44.1 kHz is brought to
    16 kHz, so a 12-second note stays 12 seconds long (not 33)."""
    pcm = speech_like_pcm(12, rate)
    for wall in (11.8, 12.0, 12.3):                  # a stop's latency either way
        assert voice.guess_rate(len(pcm), wall) == rate
    assert voice.seconds(voice.encode(pcm, voice.guess_rate(len(pcm), 12.2))) == pytest.approx(12.0, abs=0.05)


@pytest.mark.parametrize("pcm,rate,why", [(b"\0" * 1000, 16000, "empty"), (PCM_20S, 44000, "unsupported"),
                                          (b"\0" * (voice.MAX_INPUT + 2), 16000, "longer than")])
def test_unusable_recordings_are_refused_with_a_typed_error(pcm, rate, why):
    with pytest.raises(voice.VoiceError, match=why) as exc:
        voice.encode(pcm, rate)
    assert exc.value.code == "voice_invalid"


def test_a_note_is_kept_with_the_draft_and_sealed_like_a_photo(device, volunteer, office):
    form = forms.load("laporan_kecurigaan")
    answers = form.example()
    answers.pop("apa_dilihat")                     # the voice answer stands in for typing
    rid = device.new_draft(volunteer, form.id, answers)
    att, size = device.add_voice(volunteer, rid, PCM_20S)
    device.save_draft(volunteer, rid, {**answers, "suara": [att]})
    stored = device.attachment_bytes(volunteer, att)
    assert len(stored) == size and voice.seconds(stored) == 20.0
    raw = bytes(device.db.conn.execute("SELECT data FROM attachments WHERE id=?", (att,)).fetchone()[0])
    assert b"OggS" not in raw and b"OpusHead" not in raw        # encrypted at rest in the draft
    assert device.load_answers(volunteer, rid)["suara"] == [att]
    device.finalize(volunteer, rid)
    [item] = device.pending()
    opened = envelope.open(item.envelope, recipient_key=office.x, author_public=volunteer.ed25519.public_key())
    assert opened.payload["answers"]["suara"] == [att] and "apa_dilihat" not in opened.payload["answers"]
    assert opened.attachment(att, item.blobs[att]) == stored
    with pytest.raises(Immutable):
        device.add_voice(volunteer, rid, PCM_20S)


def test_without_a_note_the_typed_answer_is_still_required(device, volunteer):
    form = forms.load("laporan_kecurigaan")
    answers = form.example()
    answers.pop("apa_dilihat")
    rid = device.new_draft(volunteer, form.id, answers)
    with pytest.raises(ValidationFailed) as exc:
        device.finalize(volunteer, rid)
    assert "apa_dilihat" in exc.value.errors


def test_old_versions_stay_valid_and_have_no_voice_field():
    assert all(f.type != "audio" for f in forms.load("laporan_kecurigaan", 2).fields)
    assert all(f.type != "audio" for f in forms.load("laporan_darurat", 1).fields)
    darurat = forms.load("laporan_darurat")
    assert darurat.field("suara").type == "audio" and darurat.field("apa_terjadi").required
