"""Re-encode photos before they are stored or sealed.

A photo's EXIF can carry GPS, the phone model and the owner's name — enough to
expose the reporter. Decoding to pixels and writing a fresh JPEG drops every metadata
block; downscaling to ~1600 px keeps a photo crossable on 2G (~200–400 KB).

Pillow is imported when a photo is re-encoded, not with the module: the offline app
(Pyodide) has no Pillow from any registry reachable here. There the browser re-encodes the
photo first (a canvas: fieldapp/photos_web.py), and `reencode` — which every
stored photo passes through — checks what the canvas wrote with no Pillow at all: a JPEG
no larger than MAX_SIDE, every segment that is not picture data (EXIF/GPS, XMP, comments,
ICC) dropped. Anything else is refused with PhotoError, never stored as it came.
"""
from __future__ import annotations

import io
import struct

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
    except ImportError:
        return pixels_only(raw)         # the offline app: the browser's canvas re-encoded it
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


# JPEG markers that carry the picture; every other segment (APP0-APP15: JFIF, EXIF and its
# GPS block, XMP, ICC, maker notes; COM: comments) is metadata and is dropped.
_PICTURE = {0xC0, 0xC1, 0xC2, 0xC4, 0xDB, 0xDD}
_SOF = {0xC0, 0xC1, 0xC2}


def pixels_only(jpeg: bytes) -> bytes:
    """Without Pillow: a baseline/progressive JPEG rebuilt from its picture segments only.
    Refuses anything that is not such a JPEG, or is larger than the canvas writes
    (MAX_SIDE, MAX_OUTPUT) — a photo that did not go through `prepare`."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise PhotoError("this file is not a readable photo (JPEG)")
    out, i, size = [b"\xff\xd8"], 2, None
    try:
        while True:
            if jpeg[i] != 0xFF:
                raise PhotoError("this file is not a readable photo (JPEG)")
            marker = jpeg[i + 1]
            if marker == 0xFF:                      # fill byte
                i += 1
                continue
            length = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
            segment = jpeg[i:i + 2 + length]
            if len(segment) != 2 + length or length < 2:
                raise PhotoError("this file is not a readable photo (JPEG)")
            if marker in _SOF:
                size = struct.unpack(">HH", segment[5:9])
            if marker == 0xDA:                      # a scan: its header, then entropy-coded data
                if length < 3 or length != 6 + 2 * segment[4]:
                    raise PhotoError("this file is not a readable photo (JPEG)")
                end = _scan_end(jpeg, i + 2 + length)   # up to the next marker
                out.append(jpeg[i:end])
                i = end
                if jpeg[i + 1] == 0xD9:             # EOI: whatever trails it is dropped too
                    out.append(b"\xff\xd9")
                    break
                continue
            if marker in _PICTURE:
                if _fields_length(marker, segment[4:]) != length - 2:
                    raise PhotoError("this file is not a readable photo (JPEG)")
                out.append(segment)
            elif not (0xE0 <= marker <= 0xEF or marker == 0xFE):
                raise PhotoError("this file is not a readable photo (JPEG)")
            i += 2 + length
    except (IndexError, ValueError, struct.error) as exc:
        raise PhotoError("this file is not a readable photo (JPEG)") from exc
    if size is None or max(size) > MAX_SIDE:
        raise PhotoError("photo was not re-encoded by the app")
    clean = b"".join(out)
    if len(clean) > MAX_OUTPUT:
        raise PhotoError("photo could not be compressed below 1 MB")
    return clean


def _fields_length(marker: int, body: bytes) -> int:
    """How many bytes of `body` a picture segment's fields fill. A segment longer than its
    fields hides a payload a decoder skips (text after a frame header, after the last table):
    copied verbatim it would reach the sealed photo, so such a segment is refused."""
    if marker in _SOF:                      # P, Y, X, Nf, then Nf × (C, H/V, Tq)
        return 6 + 3 * body[5]
    if marker == 0xDD:                      # restart interval
        return 2
    n = 0
    while n < len(body):
        if marker == 0xDB:                  # Pq/Tq, then 64 values of 1 or 2 bytes
            n += 1 + 64 * (2 if body[n] >> 4 else 1)
        else:                               # DHT: Tc/Th, 16 counts, then the counted symbols
            n += 17 + sum(body[n + 1:n + 17])
    return n


def _scan_end(jpeg: bytes, j: int) -> int:
    """Where a scan's entropy-coded data ends: the first 0xFF that is not a stuffed 0xFF00,
    a restart marker (RST0-7) or fill."""
    while True:
        k = jpeg.index(b"\xff", j)
        nxt = jpeg[k + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
            j = k + 1
            continue
        return k
