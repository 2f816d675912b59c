"""Android on paper: what `flet build apk` will read is present and points at real files.
No Flutter SDK here, so the APK itself is never built (docs/ANDROID.md says what that leaves
unverified); this checks the inputs, and that main.py starts the app on a phone."""
import os
import runpy
import sys
import tomllib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
FLET = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["flet"]


def test_app_identity_and_entry_point():
    assert FLET["bundle_id"].count(".") >= 2 and FLET["product"] == "Jaga Desa"
    app_dir = ROOT / FLET["app"]["path"]
    assert (app_dir / f"{FLET['app']['module']}.py").is_file()
    assert "tests" in FLET["app"]["exclude"] and "bench" in FLET["app"]["exclude"]


def test_permissions_are_location_camera_microphone_internet_only():
    perms = {k for k, v in FLET["android"]["permission"].items() if v}
    assert perms == {"android.permission.INTERNET", "android.permission.ACCESS_FINE_LOCATION",
                     "android.permission.ACCESS_COARSE_LOCATION", "android.permission.CAMERA",
                     "android.permission.RECORD_AUDIO"}           # voice notes (issue 24)


def test_icon_comes_from_the_packaged_assets():
    # flet build looks for <app path>/assets/icon.png; the repo's assets/ is the package's folder
    icon = ROOT / FLET["app"]["path"] / "assets" / "icon.png"
    assert icon.resolve() == (ROOT / "fieldapp" / "assets" / "icon.png").resolve()
    with Image.open(icon) as img:
        assert img.size[0] == img.size[1] >= 512        # launcher icons are square, 512 px or more


def test_main_py_starts_the_phone_app_on_a_phone(monkeypatch):
    import jaga_desa.mobile as mobile
    started = []
    monkeypatch.setattr(mobile, "main", lambda: started.append("phone") or 0)
    monkeypatch.setattr(sys, "argv", ["main.py"])
    monkeypatch.setenv("FLET_PLATFORM", "android")
    try:
        runpy.run_path(str(ROOT / "main.py"), run_name="__main__")
    except SystemExit as exc:
        assert exc.code == 0
    assert started == ["phone"]


def test_main_py_is_the_cli_elsewhere(monkeypatch, capsys):
    monkeypatch.delenv("FLET_PLATFORM", raising=False)
    monkeypatch.setattr(sys, "argv", ["main.py", "--help"])
    try:
        runpy.run_path(str(ROOT / "main.py"), run_name="__main__")
    except SystemExit as exc:
        assert exc.code == 0
    assert "jaga-desa COMMAND" in capsys.readouterr().out
    assert os.environ.get("FLET_PLATFORM") is None
