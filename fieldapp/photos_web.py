"""The offline app's photo re-encoding: the browser's own decoder and canvas, as Pillow does
it on CPython (fieldapp/photos.py) — no Pillow exists for Pyodide on any reachable registry.

The photo is decoded to pixels (createImageBitmap, upright by its EXIF orientation), drawn
no larger than MAX_SIDE on an OffscreenCanvas (the field app's Python runs in a worker),
and written as a fresh JPEG: a canvas holds pixels only, so EXIF with its GPS block, XMP,
comments and the phone's maker notes cannot come along. The JPEG then still passes
photos.pixels_only in the store (device.add_photo), which checks that in Python.
"""
from __future__ import annotations

from fieldapp.photos import MAX_INPUT, MAX_OUTPUT, MAX_SIDE, PhotoError

QUALITIES = (0.82, 0.70, 0.55, 0.40)      # photos.reencode's 82, 70, 55, 40


def _obj(**kw):
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]
    return to_js(kw, dict_converter=js.Object.fromEntries)


async def reencode(raw: bytes) -> bytes:
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import JsException, to_js  # type: ignore[import-not-found]
    if len(raw) > MAX_INPUT:
        raise PhotoError(f"photo is too large ({len(raw) // 1024 // 1024} MB; limit {MAX_INPUT // 1024 // 1024} MB)")
    blob = js.Blob.new(to_js([to_js(raw)]))
    try:
        bitmap = await js.createImageBitmap(blob, _obj(imageOrientation="from-image"))
    except JsException as exc:
        raise PhotoError("this file is not a readable photo (JPEG or PNG)") from exc
    try:
        scale = min(1.0, MAX_SIDE / max(bitmap.width, bitmap.height, 1))
        w, h = max(1, round(bitmap.width * scale)), max(1, round(bitmap.height * scale))
        canvas = js.OffscreenCanvas.new(w, h)
        ctx = canvas.getContext("2d")
        ctx.fillStyle = "#FFFFFF"              # a transparent PNG becomes white, as Pillow's RGB
        ctx.fillRect(0, 0, w, h)
        ctx.imageSmoothingQuality = "high"
        ctx.drawImage(bitmap, 0, 0, w, h)
    finally:
        bitmap.close()
    for quality in QUALITIES:
        out = await canvas.convertToBlob(_obj(type="image/jpeg", quality=quality))
        if out.size <= MAX_OUTPUT:
            return bytes((await out.arrayBuffer()).to_py())
    raise PhotoError("photo could not be compressed below 1 MB")
