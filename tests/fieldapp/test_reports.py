import hashlib
import io
import uuid

import pytest
from PIL import Image

import forms
from core.errors import EnvelopeError, FormNotFound, NotFound, ValidationFailed
from fieldapp.photos import PhotoError
from fieldapp.reports import Immutable, NotEnrolled
from sync import envelope

from .conftest import PIN


def text_fields(form_id):
    form = forms.load(form_id)
    return [f.name for f in form.fields if f.type == "text"]


def example_with(form_id, **over):
    answers = forms.load(form_id).example()
    answers.update(over)
    return answers


def test_draft_roundtrip_and_autosave(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan")
    assert device.load_answers(volunteer, rid) == {}
    device.save_draft(volunteer, rid, {"tempat": "Dermaga Sebatik"})
    device.save_draft(volunteer, rid, {"tempat": "Dermaga Sebatik", "jumlah_orang": 4})
    assert device.load_answers(volunteer, rid) == {"tempat": "Dermaga Sebatik", "jumlah_orang": 4}
    assert [d["id"] for d in device.drafts(volunteer)] == [rid]


def test_unknown_form_is_refused(device, volunteer):
    with pytest.raises(FormNotFound):
        device.new_draft(volunteer, "tidak_ada")


def test_finalize_lists_every_failing_field_and_keeps_the_draft(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"jumlah_orang": -3})
    with pytest.raises(ValidationFailed) as err:
        device.finalize(volunteer, rid)
    assert len(err.value.errors) >= 2 and "jumlah_orang" in err.value.errors
    assert device.load_answers(volunteer, rid) == {"jumlah_orang": -3}
    assert device.outbox()[0]["state"] == "draft"


def test_finalize_seals_for_office_and_is_immutable(device, volunteer, office):
    answers = example_with("laporan_kecurigaan")
    eid = device.file(volunteer, "laporan_kecurigaan", answers)
    [item] = device.pending()
    assert item.envelope_id == eid
    opened = envelope.open(item.envelope, recipient_key=office.x,
                           author_public=volunteer.ed25519.public_key())
    assert opened.payload["answers"] == forms.load("laporan_kecurigaan").clean(answers)
    assert opened.header.author_id == volunteer.person_id
    rid = device.outbox()[0]["id"]
    with pytest.raises(Immutable):
        device.save_draft(volunteer, rid, {"tempat": "changed"})
    with pytest.raises(Immutable):
        device.finalize(volunteer, rid)


def test_rahasia_is_not_addressed_to_heads(device, volunteer, office, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    head = X25519PrivateKey.generate()
    device.apply_enrollment(volunteer, office.ticket(), office.response(
        volunteer, heads=[(str(uuid.uuid4()), head.public_key().public_bytes_raw())],
        issued_at="2026-01-02T00:00:00.000Z"))
    normal = device.file(volunteer, "laporan_kecurigaan", example_with("laporan_kecurigaan"))
    secret = device.file(volunteer, "laporan_kecurigaan", example_with("laporan_kecurigaan"), rahasia=True)
    by_id = {i.envelope_id: i for i in device.pending()}
    assert envelope.key_id(head.public_key()).hex() in envelope.peek(by_id[normal].envelope).recipients
    # padded: as many wraps as the report the head can read, the head's key id among neither
    assert len(envelope.peek(by_id[secret].envelope).recipients) == envelope.PAD_TO
    assert envelope.key_id(head.public_key()).hex() not in envelope.peek(by_id[secret].envelope).recipients
    assert envelope.key_id(office.x.public_key()).hex() in envelope.peek(by_id[secret].envelope).recipients
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        envelope.open(by_id[secret].envelope, recipient_key=head, author_public=volunteer.ed25519.public_key())


def test_not_enrolled_cannot_seal(device):
    device.add_user("Baru", "volunteer", PIN)
    s = device.unlock("Baru", PIN)
    rid = device.new_draft(s, "keberangkatan_pmi", forms.load("keberangkatan_pmi").example())
    with pytest.raises(NotEnrolled):
        device.finalize(s, rid)
    assert device.outbox()[0]["state"] == "draft"


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (3000, 2000), (120, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "CanonCanaryMaker"       # Make
    exif[0x013B] = "Pemilik Canary"         # Artist
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_photo_is_reencoded_without_exif_and_sealed(device, volunteer, office):
    raw = _jpeg_with_exif()
    assert b"CanonCanaryMaker" in raw
    answers = example_with("laporan_kecurigaan")
    rid = device.new_draft(volunteer, "laporan_kecurigaan", answers)
    att, size = device.add_photo(volunteer, rid, raw)
    photo_field = next(f.name for f in forms.load("laporan_kecurigaan").fields if f.type == "photo")
    device.save_draft(volunteer, rid, {**answers, photo_field: [att]})
    device.finalize(volunteer, rid)
    [item] = device.pending()
    opened = envelope.open(item.envelope, recipient_key=office.x, author_public=volunteer.ed25519.public_key())
    photo = opened.attachment(att, item.blobs[att])
    assert len(photo) == size
    assert b"CanonCanaryMaker" not in photo and b"Exif" not in photo[:200]
    assert max(Image.open(io.BytesIO(photo)).size) <= 1600


def test_not_a_photo_is_refused_and_nothing_stored(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan")
    with pytest.raises(PhotoError, match="not a readable photo"):
        device.add_photo(volunteer, rid, b"not an image at all")
    assert device.db["attachments"].count == 0


def _receipt(device, eid, key, complete=True):
    from sync import receipt as rc
    data = next(i.envelope for i in device.pending() if i.envelope_id == eid)
    r = rc.Receipt(eid, hashlib.sha256(data).hexdigest(), "2026-01-01T00:00:00.000Z", {}, complete)
    return r, rc.sign(r, key)


def test_outbox_needs_no_pin_and_purge_after_receipt(device, volunteer, office):
    eid = device.file(volunteer, "keberangkatan_pmi", forms.load("keberangkatan_pmi").example())
    assert device.outbox()[0]["state"] == "waiting"
    device.mark_failed(eid, "receipt_invalid", "no signal")       # transient: stays waiting
    assert "no signal" in device.outbox()[0]["last_error"]
    # a receipt signed by anyone but the office the author pinned purges nothing
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    device.mark_received(eid, *_receipt(device, eid, Ed25519PrivateKey.generate()))
    assert device.outbox()[0]["state"] == "waiting" and "receipt_untrusted" in device.outbox()[0]["last_error"]
    device.mark_received(eid, *_receipt(device, eid, office.e))
    row = device.outbox()[0]
    assert row["state"] == "received"
    assert device.db.conn.execute("SELECT envelope, answers FROM reports").fetchone() == (None, None)
    assert device.pending() == []
    with pytest.raises(NotFound):
        device.load_answers(volunteer, row["id"])
