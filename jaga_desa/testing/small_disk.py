"""A real small filesystem that really fills up: a tmpfs of a few MB mounted over a folder.

A full phone is not something to fake with a flag: SQLite must meet ENOSPC where a phone
would (the WAL, the header, a new page), and `df` must report the space that is left. Mounting
needs root or an unprivileged user namespace; CI runs the suite as root in its container.
"""
from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def small_disk(path: Path, megabytes: int = 8) -> Iterator[Path]:
    """`path` as the mount point of a fresh tmpfs of `megabytes` MB, unmounted afterwards."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs", str(path)],
                   check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def fill(path: Path, leave: int = 0) -> Path:
    """Write a filler file in `path` until the disk is full (or only `leave` bytes are free);
    returns it, so deleting it is "freeing space" as she would by deleting a video."""
    filler = Path(path) / "video-lama.mp4"
    chunk = b"\0" * 65536
    with open(filler, "ab", buffering=0) as f:      # unbuffered: nothing left to fail at close
        try:
            while os.statvfs(path).f_bavail * os.statvfs(path).f_frsize > leave + len(chunk):
                f.write(chunk)
            if not leave:
                while True:
                    f.write(b"\0" * 4096)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler
