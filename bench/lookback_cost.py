"""Red team round 8 (order25): what the look-back costs one push. A push of one report that grows a ring whose village filed 60 earlier ten-name reports,
against the same push with the look-back off: derive time of that one report (observe).

Run: PYTHONPATH=. .venv/bin/python bench/lookback_cost.py (both medians and the ratio, alternating in one run)."""
import datetime as dt, sys, time, tempfile, pathlib, statistics
from sqlalchemy import insert
from office import db, keys as office_keys
from office.schema import villages
from office.warning import lookback
from tests.warning.conftest import T0
from tests.warning.test_engine import calo_names, report, run
RARE = "kolondam saparuddin tandiayu wulandari sumampouw lumentut pangemanan rarung sondakh mamahit".split()
real = lookback.look_back
def ten(i, **extra):
    return {"terlibat": [{"peran": "calo", "nama": f"{RARE[k]} {RARE[(k + i + 1) % 10]}", **extra} for k in range(10)]}
res = {"on": [], "off": []}
for rep in range(3):
    for mode in ("on", "off"):
        lookback.look_back = real if mode == "on" else (lambda *a, **k: [])
        d = pathlib.Path(tempfile.mkdtemp()); engine = db.open_store(d)
        with engine.begin() as conn:
            conn.execute(insert(villages), [{"id": i, "name": f"Desa {i}", "region": "S"} for i in range(1, 41)])
        office = (engine, office_keys.load_or_create(d, "kata-sandi-kantor"))
        calo_names(office, T0 - dt.timedelta(days=20))
        run(office, [report(1, T0 + dt.timedelta(minutes=m), **ten(0)) for m in range(60)])
        run(office, [report(2, T0 + dt.timedelta(days=1), **ten(0, plat="KT 1 XY"))])
        t = time.perf_counter()
        run(office, [report(3, T0 + dt.timedelta(days=2), **ten(0, plat="KT 1 XY"))])   # the ring forms
        res[mode].append(time.perf_counter() - t)
        engine.dispose()
for m, v in res.items():
    print(m, "median s per one-report push:", round(statistics.median(v), 3), [round(x, 3) for x in v])
print("ratio on/off:", round(statistics.median(res["on"]) / statistics.median(res["off"]), 1))
