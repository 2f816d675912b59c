"""Where Pillow cannot be had (the offline app's Pyodide), the browser's canvas re-encodes a
photo (fieldapp/photos_web.py, shown end to end by tests/e2e/test_offline_phone.py) and the
store still checks it in Python (photos.pixels_only): whatever reaches the store is a JPEG
of at most MAX_SIDE with only its picture segments — never a photo as it came, with its
EXIF/GPS. Written as the attacker: a photo that skipped the canvas, metadata hidden between
scans and after the end, a file that only starts like a JPEG."""
from __future__ import annotations

import io
import sys

import pytest
from PIL import Image

from fieldapp import photos
from tests.adversarial.test_plaintext_scan import GPS_IFD, assert_no_metadata, canary, exif_photo


@pytest.fixture
def no_pillow(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)          # `import PIL` now fails, as in Pyodide


def _canaries():
    return {k: canary(k) for k in ("ARTIST", "MAKE", "COMMENT", "XMP")}


@pytest.mark.parametrize("progressive", [False, True])
def test_without_pillow_every_metadata_segment_is_dropped(tmp_path, progressive):
    c = _canaries()
    path = exif_photo(tmp_path / "p.jpg", c["ARTIST"], c["MAKE"], c["COMMENT"], c["XMP"], size=(640, 480))
    if progressive:          # a scan, then metadata between scans: must not survive either
        img = Image.open(path)
        out = io.BytesIO()
        img.save(out, "JPEG", exif=img.info["exif"], progressive=True, comment=c["COMMENT"].encode())
        raw = out.getvalue()
        sos = raw.index(b"\xff\xda", raw.index(b"\xff\xda") + 2)   # the second scan
        raw = raw[:sos] + b"\xff\xfe\x00\x20" + c["XMP"].encode().ljust(30, b" ") + raw[sos:]
    else:
        raw = path.read_bytes()
    raw += c["MAKE"].encode()                                       # trailing bytes after EOI
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS_IFD)
    with pytest.MonkeyPatch.context() as m:              # no Pillow while the store checks it
        m.setitem(sys.modules, "PIL", None)
        clean = photos.reencode(raw)
    img = assert_no_metadata(clean, list(c.values()))
    img.load()                                                      # still a whole, decodable picture
    assert img.size == (640, 480)


def test_without_pillow_a_photo_that_skipped_the_canvas_is_refused(tmp_path, monkeypatch):
    """Full size (the canvas shrinks to MAX_SIDE): not stored, even stripped."""
    raw = io.BytesIO()
    Image.new("RGB", (photos.MAX_SIDE + 1, 10)).save(raw, "JPEG")
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(photos.PhotoError) as err:
        photos.reencode(raw.getvalue())
    assert err.value.code == "photo_invalid"


@pytest.mark.parametrize("raw", [b"\xff\xd8\xff\xe1" + b"Exif GPS" * 10, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
                                 b"\xff\xd8\xff\xdb\x00\x43", b"", b"\xff\xd8\xff\xd9"])
def test_without_pillow_what_is_not_a_jpeg_is_refused(raw, no_pillow):
    with pytest.raises(photos.PhotoError) as err:
        photos.reencode(raw)
    assert err.value.code == "photo_invalid"
