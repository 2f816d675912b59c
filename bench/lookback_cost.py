"""Red team round 8 (order25): what the look-back costs one push. A push of one report that
grows a ring whose village filed 60 earlier ten-name reports, against the same push with the
look-back off: the derive time (engine.observe) of that one report, alternating on/off in one run.

Run: PYTHONPATH=. .venv/bin/python bench/lookback_cost.py"""
from __future__ import annotations

import datetime as dt
import pathlib
import statistics
import tempfile
import time

from sqlalchemy import insert

from office import db, keys as office_keys
from office.schema import villages
from office.warning import lookback
from tests.warning.conftest import T0
from tests.warning.test_engine import calo_names, report, run

RARE = "kolondam saparuddin tandiayu wulandari sumampouw lumentut pangemanan rarung sondakh mamahit".split()
REPEATS = 3


def ten(i: int, **extra) -> dict:
    return {"terlibat": [{"peran": "calo", "nama": f"{RARE[k]} {RARE[(k + i + 1) % 10]}", **extra} for k in range(10)]}


def one_push(folder: pathlib.Path) -> float:
    """Seconds to derive the push that forms the ring (a fresh office in `folder`)."""
    engine = db.open_store(folder)
    try:
        with engine.begin() as conn:
            conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": "S"} for i in range(1, 41)])
        office = (engine, office_keys.load_or_create(folder, "kata-sandi-kantor"))
        calo_names(office, T0 - dt.timedelta(days=20))
        run(office, [report(1, T0 + dt.timedelta(minutes=m), **ten(0)) for m in range(60)])
        run(office, [report(2, T0 + dt.timedelta(days=1), **ten(0, plat="KT 1 XY"))])
        t = time.perf_counter()
        run(office, [report(3, T0 + dt.timedelta(days=2), **ten(0, plat="KT 1 XY"))])
        return time.perf_counter() - t
    finally:
        engine.dispose()


def main() -> None:
    real = lookback.look_back
    res: dict[str, list[float]] = {"on": [], "off": []}
    for _ in range(REPEATS):
        for mode in ("on", "off"):
            lookback.look_back = real if mode == "on" else (lambda *a, **k: [])
            with tempfile.TemporaryDirectory() as d:
                res[mode].append(one_push(pathlib.Path(d)))
    lookback.look_back = real
    for mode, v in res.items():
        print(f"look-back {mode}: median {statistics.median(v):.3f} s for the one-report push", [round(x, 3) for x in v])
    print(f"ratio on/off: {statistics.median(res['on']) / statistics.median(res['off']):.1f}")


if __name__ == "__main__":
    main()
