import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.errors import DecryptError, LockedOut, PinError
from fieldapp import keys
from fieldapp.device import Device
from fieldapp.users import DELAYS, FREE_TRIES, MAX_TRIES, BadPin, PinEmpty, PinWait
from jaga_desa.testing.waits import wait_until

from .conftest import HEAD_PIN, PIN


def test_unlock_roundtrip_and_wrong_pin_counts_persistently(device, tmp_path):
    device.add_user("Siti", "volunteer", PIN)
    with pytest.raises(PinError) as err:
        device.unlock("Siti", "000000")
    assert err.value.remaining == MAX_TRIES - 1 and "9 tries left" in err.value.message
    device.close()
    again = Device(tmp_path / "dev")             # count survives a restart
    with pytest.raises(PinError) as err:
        again.unlock("Siti", "111111")
    assert err.value.remaining == MAX_TRIES - 2
    assert again.unlock("Siti", PIN).label == "Siti"
    assert again.users()[0]["failed_attempts"] == 0   # reset by the right PIN
    again.close()


def test_ten_wrong_pins_destroy_the_key(device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"apa_dilihat": "rahasia sekali"})
    clock = time.time()
    for i in range(MAX_TRIES - 1):
        clock += 601                                      # past every wait (the clock is injected)
        with pytest.raises(PinError) as err:
            device.unlock("Siti", "999999", now=clock)
        assert not isinstance(err.value, (LockedOut, PinWait))
    assert "next wrong PIN destroys" in err.value.message and err.value.remaining == 1
    with pytest.raises(LockedOut):
        device.unlock("Siti", "999999", now=clock + 601)
    with pytest.raises(LockedOut):                # even the right PIN is useless now
        device.unlock("Siti", PIN)
    row = device.db.conn.execute("SELECT wrapped_key, private_keys, locked FROM users").fetchone()
    assert row == (None, None, 1)
    blob = device.db.conn.execute("SELECT answers FROM reports WHERE id=?", (rid,)).fetchone()[0]
    assert blob and b"rahasia sekali" not in blob


def test_second_user_cannot_decrypt_first_users_drafts(tmp_path, device, volunteer):
    rid = device.new_draft(volunteer, "laporan_kecurigaan", {"apa_dilihat": "perekrut di pelabuhan"})
    device.add_user("Pak Kades", "head", HEAD_PIN)
    device.close()
    # the head gets the whole data dir and their own valid PIN
    other = Device(tmp_path / "dev")
    head = other.unlock("Pak Kades", HEAD_PIN)
    blob = other.db.conn.execute("SELECT answers FROM reports WHERE id=?", (rid,)).fetchone()[0]
    with pytest.raises(DecryptError):
        head.cipher.decrypt("reports", rid, "answers", blob)
    with pytest.raises(Exception):
        other.load_answers(head, rid)             # not even addressable by the head
    other.close()


def test_pin_format_and_duplicate_names(device):
    with pytest.raises(BadPin):
        device.add_user("A", "volunteer", "12")
    device.add_user("A", "volunteer", "1234")
    with pytest.raises(Exception, match="already exists"):
        device.add_user("A", "head", "5678")


def test_kdf_params_stored_and_calibration_scales():
    small, large = keys.calibrate(0.005), keys.calibrate(0.2)
    assert small.log2_n <= large.log2_n
    assert keys.MIN_LOG2_N <= small.log2_n <= keys.MAX_LOG2_N
    p = keys.KdfParams.from_json(large.to_json())
    assert p == large
    wrapped = keys.wrap_key(b"k" * 32, "1234", keys.KdfParams(12))
    assert keys.unwrap_key(wrapped, "1234", keys.KdfParams(12)) == b"k" * 32
    assert keys.unwrap_key(wrapped, "4321", keys.KdfParams(12)) is None


def test_user_kdf_params_recorded_per_user(device):
    device.add_user("Siti", "volunteer", PIN)
    kdf = device.db.conn.execute("SELECT kdf FROM users").fetchone()[0]
    assert '"alg": "scrypt"' in kdf and '"log2_n"' in kdf


ROOT = Path(__file__).resolve().parents[2]


def _state(device, name="Siti"):
    return device.db.conn.execute("SELECT failed_attempts, retry_after FROM users WHERE label=?",
                                  (name,)).fetchone()


def test_empty_pin_is_not_a_try(device, volunteer):
    for empty in ("", None):
        with pytest.raises(PinEmpty):
            device.unlock("Siti", empty)
    assert _state(device)[0] == 0


def test_wrong_pins_slow_down_growing_and_reset_by_the_right_pin(device, volunteer):
    t = 1_000_000.0
    for n in range(1, FREE_TRIES + 1):                    # typos cost nothing
        with pytest.raises(PinError) as err:
            device.unlock("Siti", "000000", now=t)
        assert not isinstance(err.value, PinWait) and _state(device)[1] == t
    waits = []
    for n in range(FREE_TRIES + 1, FREE_TRIES + 5):
        with pytest.raises(PinError) as err:
            device.unlock("Siti", "000000", now=t)
        wait = _state(device)[1] - t
        waits.append(wait)
        with pytest.raises(PinWait) as too_soon:          # even the right PIN waits
            device.unlock("Siti", PIN, now=t + wait - 1)
        assert too_soon.value.seconds == 1 and _state(device)[0] == n   # not counted
        t += wait
    assert waits == list(DELAYS[:4]) and waits == sorted(waits) and waits[0] > 0
    assert device.unlock("Siti", PIN, now=t).label == "Siti"
    assert _state(device) == (0, 0)


def test_wait_survives_killing_the_app(tmp_path, device, volunteer):
    """The wait is persisted: a new process (the app restarted, or the CLI) is refused too."""
    for _ in range(FREE_TRIES + 1):
        with pytest.raises(PinError):
            device.unlock("Siti", "000000")
    device.close()
    env = {**os.environ, "JAGA_KDF_SECONDS": "0.02", "JAGA_PIN": PIN}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "device", "--data", str(tmp_path / "dev"),
                           "inbox", "--user", "Siti"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and proc.stderr.startswith("error [pin_wait]: ")
    again = Device(tmp_path / "dev")
    try:
        assert _state(again)[0] == FREE_TRIES + 1            # the refused try was not counted
        assert again.unlock("Siti", PIN, now=time.time() + DELAYS[0] + 1).label == "Siti"
    finally:
        again.close()


KILLED_CHILD = textwrap.dedent("""
    import sys
    from fieldapp.device import Device
    dev = Device(sys.argv[1])
    print("trying", flush=True)
    dev.unlock("Siti", "000000")
""")


def test_kill_minus_nine_during_the_check_still_bills_the_try_and_the_wait(tmp_path, monkeypatch):
    """The attacker kills the app while a wrong PIN is being checked, hoping the try is free."""
    monkeypatch.setenv("JAGA_KDF_SECONDS", "0.6")          # a check long enough to kill inside
    dev = Device.init(tmp_path / "slow")
    dev.add_user("Siti", "volunteer", PIN)
    for _ in range(FREE_TRIES):
        with pytest.raises(PinError):
            dev.unlock("Siti", "000000")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(tmp_path / "slow")], env=env,
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout.readline().strip() == "trying"
    wait_until(lambda: _state(dev)[0] >= FREE_TRIES + 1 or child.poll() is not None, 30,
               "the child to bill its try", every=0.005)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL              # killed, not finished
    assert _state(dev)[0] == FREE_TRIES + 1
    with pytest.raises(PinWait):
        dev.unlock("Siti", PIN)
    dev.close()


def test_passphrase_offered_and_marked_for_the_lock_screen(device):
    device.add_user("Pak Kades", "head", "kopi pahit di balai desa")
    device.add_user("Siti", "volunteer", PIN)
    assert device.unlock("Pak Kades", "kopi pahit di balai desa").role == "head"
    kinds = {u["label"]: u["passphrase"] for u in device.users()}
    assert kinds == {"Pak Kades": True, "Siti": False}
    for bad in ("abc1234", " leading-space", "x" * 65, "12a4"):
        with pytest.raises(BadPin):
            device.add_user(f"U{len(bad)}", "head", bad)
