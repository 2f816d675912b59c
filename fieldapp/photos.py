"""Re-encode photos before they are stored or sealed.

A photo's EXIF can carry GPS, the phone model and the owner's name — enough to
expose the reporter. Decoding to pixels and writing a fresh JPEG drops every metadata
block; downscaling to ~1600 px keeps a photo crossable on 2G (~200–400 KB).

Pillow is imported when a photo is re-encoded, not with the module: the offline app
(Pyodide) has no Pillow from any registry reachable here, and there a photo is refused
with PhotoError instead of the whole app failing to start.
"""
from __future__ import annotations

import io

from core.errors import JagaError

MAX_INPUT = 25 * 1024 * 1024
MAX_SIDE = 1600
MAX_OUTPUT = 1024 * 1024


class PhotoError(JagaError):
    """The file is not a photo we can use."""
    code = "photo_invalid"


def reencode(raw: bytes) -> bytes:
    if len(raw) > MAX_INPUT:
        raise PhotoError(f"photo is too large ({len(raw) // 1024 // 1024} MB; limit {MAX_INPUT // 1024 // 1024} MB)")
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as exc:
        raise PhotoError("photos cannot be re-encoded in this build of the app") from exc
    try:
        img = Image.open(io.BytesIO(raw))
        img.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PhotoError("this file is not a readable photo (JPEG or PNG)") from exc
    img = ImageOps.exif_transpose(img).convert("RGB")   # keep the picture upright, then drop EXIF
    img.info = {}          # Pillow re-writes info["comment"] / info["xmp"] on save: drop every block
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    for quality in (82, 70, 55, 40):
        out = io.BytesIO()
        img.save(out, "JPEG", quality=quality, optimize=True)   # no exif= argument: nothing copied
        if out.tell() <= MAX_OUTPUT:
            return out.getvalue()
    raise PhotoError("photo could not be compressed below 1 MB")
