"""What a voice note costs on the wire: bytes per minute of the stored (sealed-as-is) note.

    python bench/voice_bench.py [--seconds 60]

Encodes the speech-like test signal (jaga_desa/testing/voice.py, the same one the browser
test feeds Chromium's fake microphone) with the phone's real encoder (fieldapp/voice.py:
libopus, 16 kbit/s, mono 16 kHz, our own tag-free Ogg), then decodes it back to show it is
whole. Baseline, measured in the same run: the raw 16-bit PCM the recorder hands over (what
the note would cost sent as recorded). Target: at most 120 kB per minute.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report  # noqa: E402
from fieldapp import voice  # noqa: E402
from jaga_desa.testing.voice import speech_like_pcm  # noqa: E402

TARGET_PER_MINUTE = 120_000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    pcm = speech_like_pcm(args.seconds, voice.RATE)
    times, note = [], b""
    for _ in range(3):
        t0 = time.perf_counter()
        note = voice.encode(pcm)
        times.append(time.perf_counter() - t0)
    decoded, granule = voice.decode(note)
    per_minute = len(note) * 60 / args.seconds
    baseline = len(pcm) * 60 / args.seconds
    report("voice notes", [
        {"metric": "stored note, bytes per minute", "value": round(per_minute),
         "target": f"<= {TARGET_PER_MINUTE}", "met": per_minute <= TARGET_PER_MINUTE},
        {"metric": "baseline: raw PCM from the recorder, bytes/min", "value": round(baseline)},
        {"metric": "ratio raw PCM / stored note", "value": round(baseline / per_minute, 1)},
        {"metric": f"encode {args.seconds:.0f} s of speech, seconds (median of 3)",
         "value": round(statistics.median(times), 3)},
        {"metric": "decoded back, seconds of audio", "value": round(decoded / 48000, 2)},
        {"metric": "3-minute note, kB", "value": round(per_minute * 3 / 1000, 1)},
    ])
    return 0 if per_minute <= TARGET_PER_MINUTE and granule >= args.seconds * 48000 else 1


if __name__ == "__main__":
    sys.exit(main())
