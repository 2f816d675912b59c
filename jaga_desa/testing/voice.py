"""A speech-like test signal: the fake microphone's file for Chromium and the voice bench's input.

No recording of a person ships with the repo, and a pure tone would flatter any codec. This
is a voiced buzz (a gliding fundamental with harmonics, like a vowel), opened and closed
four times a second like syllables, with a little breath noise: what Opus's speech mode is
built for, so the bytes per minute measured on it are the ones a real note costs.
"""
from __future__ import annotations

import math
import random
import wave
from array import array
from pathlib import Path


def speech_like_pcm(seconds: float, rate: int = 16000, seed: int = 7) -> bytes:
    """Mono 16-bit little-endian PCM."""
    rng = random.Random(seed)
    out = array("h")
    phase = 0.0
    for i in range(int(seconds * rate)):
        t = i / rate
        f0 = 140 + 40 * math.sin(2 * math.pi * 0.7 * t)          # intonation
        phase += 2 * math.pi * f0 / rate
        voiced = sum(math.sin(k * phase) / k for k in range(1, 8))
        envelope = max(0.0, math.sin(2 * math.pi * 4 * t)) ** 0.5 # ~4 syllables a second
        pause = 0.0 if (t % 5.0) > 4.4 else 1.0                   # a breath every 5 s
        sample = 5000 * envelope * pause * voiced + rng.gauss(0, 150)
        out.append(max(-32768, min(32767, int(sample))))
    return out.tobytes()


def write_wav(path: Path, seconds: float, rate: int = 48000) -> Path:
    """A WAV for `--use-file-for-fake-audio-capture` (Chromium loops it)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(speech_like_pcm(seconds, rate))
    return path
