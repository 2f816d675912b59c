"""Where Pillow cannot be had (the offline app's Pyodide), a photo is refused with the typed
error — it is never stored as it came, with its EXIF/GPS. (That fieldapp imports without
Pillow at all is shown by the offline app starting: tests/e2e/test_offline_app.py.)"""
from __future__ import annotations

import sys

import pytest

from fieldapp import photos


def test_without_pillow_a_photo_is_refused_not_stored_unstripped(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)          # `import PIL` now fails, as in Pyodide
    with pytest.raises(photos.PhotoError) as err:
        photos.reencode(b"\xff\xd8\xff\xe1" + b"Exif GPS" * 10)
    assert err.value.code == "photo_invalid"
