"""A damaged package is refused with a typed error, never a traceback: 1,000 single-bit
flips and truncations of a real tier C package through `handover verify` (issue 23.11)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from office.handover import PackageInvalid, verify

FLIPS = 500
CUTS = 500


@pytest.fixture(scope="module")
def package_c(seeded, tmp_path_factory) -> Path:
    argv = ["--recipient", "Polres Nunukan", "--reason", "uji kerusakan"]
    for rid in seeded.ids["rekrutmen"][:3]:
        argv += ["--report", rid]
    return seeded.export("C", tmp_path_factory.mktemp("dmg") / "c.zip", *argv)


def _damaged(data: bytes, rng: random.Random) -> list[bytes]:
    out = []
    for _ in range(FLIPS):
        d = bytearray(data)
        bit = rng.randrange(len(d) * 8)
        d[bit // 8] ^= 1 << (bit % 8)
        out.append(bytes(d))
    out += [data[:rng.randrange(len(data))] for _ in range(CUTS)]
    return out


def test_every_flip_and_cut_is_package_invalid_or_still_intact(package_c, tmp_path):
    data = package_c.read_bytes()
    intact = verify(package_c)
    rng = random.Random(23_11)
    outcomes = {"refused": 0, "intact": 0}
    path = tmp_path / "damaged.zip"
    for damaged in _damaged(data, rng):
        path.write_bytes(damaged)
        try:
            got = verify(path)
        except PackageInvalid:
            outcomes["refused"] += 1
            continue
        # a flip in bytes no check covers (a timestamp in a zip header): the data is unchanged
        assert got == intact
        outcomes["intact"] += 1
    assert sum(outcomes.values()) == FLIPS + CUTS
    assert outcomes["refused"] >= CUTS             # every truncation loses the central directory


def test_the_cli_says_package_invalid_for_a_flipped_deflate_stream(seeded, package_c, tmp_path):
    """Flip one bit inside the compressed datapackage.json: before, zlib.error escaped."""
    import zipfile
    data = bytearray(package_c.read_bytes())
    with zipfile.ZipFile(package_c) as z:
        info = z.getinfo("datapackage.json")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x10
    bad = tmp_path / "flipped.zip"
    bad.write_bytes(bytes(data))
    rc, out, err = seeded.cli("verify", str(bad))
    assert rc == 1 and err.startswith("error [package_invalid]:"), err
    assert "Traceback" not in err and out == ""
