"""Encode a voice note before it is stored or sealed: raw PCM in, a bare Ogg Opus file out.

The recorder (flet-audio-recorder) hands us 16-bit PCM, mono, 16 kHz — on the web it
streams it to the app's own upload URL, the one photos use, because the browser's
MediaRecorder result is a blob URL the Python side cannot read. We encode it here with
libopus at 16 kbit/s (speech, VBR): ~120 kB a minute, so a 3-minute note crosses 2G.

We write the Ogg container ourselves, so it carries nothing the recording did not need:
an OpusHead (channels, pre-skip, rate), an OpusTags with the vendor "jaga-desa" and no
comments, and the audio pages. No device, app, date or location tag can ride along —
there is no input container to copy one from.

libopus is loaded with ctypes when a note is encoded, not with the module: a build of
the app without it refuses a note with VoiceError instead of failing to start.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import struct
from array import array
from functools import lru_cache

from core.errors import JagaError

RATE = 16000                 # what the recorder is asked for; Opus takes it natively
CHANNELS = 1
BITRATE = 16000              # bit/s: speech stays intelligible, ~120 kB per minute
FRAME_MS = 20
MAX_SECONDS = 180            # the UI stops the recorder here
MAX_INPUT = (MAX_SECONDS + 10) * RATE * 2 * CHANNELS    # a little slack for the stop's latency
VENDOR = b"jaga-desa"
SERIAL = 0x4A414741          # one fixed stream serial: a random one would be a per-file mark
PACKETS_PER_PAGE = 50        # one second of audio per Ogg page
MIME = "audio/ogg"

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# What a recorder may really deliver. The web recorder (record_web 1.x in Flet 1.0.5) streams
# at the browser's AudioContext rate (44.1 or 48 kHz) whatever rate it is asked for, and the
# stream has no header: guess_rate() reads the rate off the byte count and the wall clock.
RECORDER_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

_APPLICATION_VOIP = 2048
_SET_BITRATE = 4002
_SET_SIGNAL = 4024
_SIGNAL_VOICE = 3001
_GET_LOOKAHEAD = 4027


class VoiceError(JagaError):
    """The recording is not one we can use (too long, empty, or no encoder in this build)."""
    code = "voice_invalid"


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("opus") or "libopus.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise VoiceError("voice notes cannot be encoded in this build of the app (no libopus)") from exc
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode.restype = ctypes.c_int32
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int32]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_decode.restype = ctypes.c_int
    lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_void_p,
                                ctypes.c_int, ctypes.c_int]
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    return lib


def guess_rate(n_bytes: int, seconds: float, channels: int = CHANNELS) -> int:
    """The recorder rate nearest to bytes / wall-clock seconds (44.1 and 48 kHz are 9 % apart;
    a stop's latency is a fraction of a second, so a note of a few seconds tells them apart)."""
    if seconds <= 0:
        return RATE
    measured = n_bytes / (2 * channels) / seconds
    return min(RECORDER_RATES, key=lambda r: abs(math.log(r / max(measured, 1.0))))


def _downsample(samples: array, rate: int, to: int = RATE) -> array:
    """Average each output sample's span of input samples (a box low-pass) and keep one: crude,
    but speech lives below 4 kHz and a 16 kbit/s Opus drops the rest anyway."""
    step = rate / to
    width = max(1, int(step))
    return array("h", (sum(samples[p:p + width]) // width
                       for p in (int(i * step) for i in range(int(len(samples) / step)))))


def encode(pcm: bytes, rate: int = RATE, channels: int = CHANNELS) -> bytes:
    """Raw little-endian 16-bit PCM → Ogg Opus (mono, 16 kbit/s), cut at MAX_SECONDS."""
    if rate not in RECORDER_RATES or channels not in (1, 2):
        raise VoiceError(f"unsupported recording format ({rate} Hz, {channels} channel(s))")
    if len(pcm) > (MAX_SECONDS + 10) * rate * 2 * channels:
        raise VoiceError(f"recording is longer than {MAX_SECONDS // 60} minutes")
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % (2 * channels)])
    if channels == 2:                   # one voice: mono halves the bytes
        samples = array("h", ((a + b) // 2 for a, b in zip(samples[0::2], samples[1::2])))
    samples = samples[: MAX_SECONDS * rate]
    if len(samples) < rate // 2:
        raise VoiceError("recording is empty (shorter than half a second)")
    if rate not in OPUS_RATES:             # 44.1 kHz and friends: Opus takes only its own rates
        samples, rate = _downsample(samples, rate), RATE
    lib = _lib()
    err = ctypes.c_int(0)
    enc = lib.opus_encoder_create(rate, 1, _APPLICATION_VOIP, ctypes.byref(err))
    if not enc or err.value != 0:
        raise VoiceError(f"the voice encoder did not start (opus error {err.value})")
    try:
        handle = ctypes.c_void_p(enc)    # opus_encoder_ctl is variadic: no argtypes, so say the pointer's width
        lib.opus_encoder_ctl(handle, ctypes.c_int(_SET_BITRATE), ctypes.c_int32(BITRATE))
        lib.opus_encoder_ctl(handle, ctypes.c_int(_SET_SIGNAL), ctypes.c_int32(_SIGNAL_VOICE))
        look = ctypes.c_int32(0)
        lib.opus_encoder_ctl(handle, ctypes.c_int(_GET_LOOKAHEAD), ctypes.byref(look))
        frame = rate * FRAME_MS // 1000
        n = len(samples)
        samples.extend([0] * (-n % frame + frame))       # flush the lookahead with silence
        out = ctypes.create_string_buffer(4000)
        packets = []
        for i in range(0, len(samples), frame):
            chunk = samples[i:i + frame]
            got = lib.opus_encode(enc, chunk.buffer_info()[0], frame, out, len(out))
            if got < 0:
                raise VoiceError(f"the voice encoder failed (opus error {got})")
            packets.append(out.raw[:got])
    finally:
        lib.opus_encoder_destroy(enc)
    scale = 48000 // rate
    pre_skip = look.value * scale
    return _ogg(packets, pre_skip, rate, frame * scale, pre_skip + n * scale)


def _ogg(packets: list[bytes], pre_skip: int, rate: int, step: int, end_granule: int) -> bytes:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, rate, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", len(VENDOR)) + VENDOR + struct.pack("<I", 0)
    pages = [_page([head], 0, 0, 0x02), _page([tags], 0, 1, 0)]
    granule, seq = pre_skip, 2
    for i in range(0, len(packets), PACKETS_PER_PAGE):
        group = packets[i:i + PACKETS_PER_PAGE]
        granule += step * len(group)
        last = i + PACKETS_PER_PAGE >= len(packets)
        pages.append(_page(group, min(granule, end_granule) if last else granule, seq, 0x04 if last else 0))
        seq += 1
    return b"".join(pages)


def _page(packets: list[bytes], granule: int, seq: int, flags: int) -> bytes:
    lacing = bytearray()
    for p in packets:
        lacing += b"\xff" * (len(p) // 255) + bytes([len(p) % 255])
    if len(lacing) > 255:
        raise VoiceError("internal: too many segments for one Ogg page")
    header = b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, SERIAL, seq, 0, len(lacing)) + bytes(lacing)
    page = bytearray(header + b"".join(packets))
    page[22:26] = struct.pack("<I", _crc(page))
    return bytes(page)


@lru_cache(maxsize=1)
def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


def _crc(data: bytes | bytearray) -> int:
    t, crc = _crc_table(), 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ t[((crc >> 24) & 0xFF) ^ b]
    return crc


def pages(data: bytes) -> list[tuple[int, int, list[bytes]]]:
    """The Ogg pages of `data` as (flags, granule, packets), each page's CRC checked."""
    out, pos, pending = [], 0, b""
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS" or len(data) < pos + 27:
            raise VoiceError("not an Ogg stream")
        flags, granule, nseg = data[pos + 5], struct.unpack_from("<q", data, pos + 6)[0], data[pos + 26]
        lacing = data[pos + 27:pos + 27 + nseg]
        body_at = pos + 27 + nseg
        size = sum(lacing)
        page = bytearray(data[pos:body_at + size])
        crc = struct.unpack_from("<I", page, 22)[0]
        page[22:26] = b"\0\0\0\0"
        if _crc(page) != crc:
            raise VoiceError("Ogg page checksum mismatch")
        packets, at = [], body_at
        for n in lacing:
            pending += data[at:at + n]
            at += n
            if n < 255:
                packets.append(pending)
                pending = b""
        out.append((flags, granule, packets))
        pos = body_at + size
    return out


def decode(data: bytes) -> tuple[int, int]:
    """Decode a stored note with libopus: (samples at 48 kHz after pre-skip, header granule).
    What the tests and the bench use to show a note plays back whole, not only that bytes arrived."""
    ps = pages(data)
    head = ps[0][2][0]
    if not head.startswith(b"OpusHead"):
        raise VoiceError("not an Opus stream")
    pre_skip = struct.unpack_from("<H", head, 10)[0]
    lib = _lib()
    err = ctypes.c_int(0)
    dec = lib.opus_decoder_create(48000, 1, ctypes.byref(err))
    if not dec or err.value != 0:
        raise VoiceError(f"the voice decoder did not start (opus error {err.value})")
    pcm = (ctypes.c_int16 * 5760)()
    total = 0
    try:
        for _, _, packets in ps[2:]:
            for p in packets:
                got = lib.opus_decode(dec, p, len(p), pcm, 5760, 0)
                if got < 0:
                    raise VoiceError(f"damaged Opus packet (opus error {got})")
                total += got
    finally:
        lib.opus_decoder_destroy(dec)
    return total - pre_skip, ps[-1][1] - pre_skip


def seconds(data: bytes) -> float:
    """A note's length from its last page's granule (no decoding): what the form shows."""
    last = data.rfind(b"OggS")
    if last < 0 or len(data) < last + 14 or not data.startswith(b"OggS"):
        return 0.0
    pre_skip = struct.unpack_from("<H", data, data.find(b"OpusHead") + 10)[0] if b"OpusHead" in data[:64] else 0
    return max(0, struct.unpack_from("<q", data, last + 6)[0] - pre_skip) / 48000
