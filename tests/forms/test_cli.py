"""forms.cli.main(argv) and the real process entry points."""
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import forms
from forms.cli import main

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_list():
    code, out, err = run(["list"])
    assert code == 0 and err == ""
    assert out.splitlines() == ["keberangkatan_pmi\tv3\tPengamatan Keberangkatan PMI",
                                "laporan_darurat\tv2\tLaporan Darurat",
                                "laporan_kecurigaan\tv3\tLaporan Kecurigaan (TPPO/TPPM)"]


def test_list_json_en():
    code, out, _ = run(["list", "--json", "--lang", "en"])
    rows = json.loads(out)
    assert code == 0
    assert rows[2] == {"id": "laporan_kecurigaan", "version": 3,
                       "title": "Suspicion report (trafficking / smuggling)", "versions": [1, 2, 3]}


@pytest.mark.parametrize("lang,expect", [("id", "Jenis kejadian"), ("en", "What kind of case")])
def test_show_text(lang, expect):
    code, out, _ = run(["show", "laporan_kecurigaan", "--lang", lang])
    assert code == 0
    assert f"- kategori (select_one, {'wajib' if lang == 'id' else 'required'}): {expect}" in out
    assert ("tampil jika: ada_anak = ya" if lang == "id" else "shown when: ada_anak = ya") in out
    assert "confidential_field: rahasia" in out


def test_show_json_is_the_definition():
    code, out, _ = run(["show", "keberangkatan_pmi", "--json"])
    assert code == 0
    assert json.loads(out) == forms.load("keberangkatan_pmi").to_dict()


def test_example_prints_valid_answers():
    code, out, _ = run(["example", "laporan_kecurigaan"])
    assert code == 0
    answers = json.loads(out)
    form = forms.load("laporan_kecurigaan")
    assert answers == form.example() and form.validate(answers) == {}


def test_check_ok():
    code, out, err = run(["check", str(CASES / "semua_jenis.v1.json")])
    assert (code, out, err) == (0, "ok: semua_jenis v1\n", "")


def test_check_broken_names_file_and_field(tmp_path):
    case = json.loads((CASES / "broken" / "bad_regex.json").read_text())
    p = tmp_path / "uji.v1.json"
    p.write_text(json.dumps(case["form"]))
    code, out, err = run(["check", str(p)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert str(p) in err and "field 'a'" in err and "bad regex" in err


@pytest.mark.parametrize("argv,code,needle", [
    (["show", "tidak_ada"], 1, "no form 'tidak_ada'"),
    (["example", "laporan_kecurigaan", "--version", "9"], 1, "has no version 9"),
    (["bogus"], 2, "invalid choice"),
    ([], 2, "usage"),
    (["show"], 2, "usage"),
    (["show", "laporan_kecurigaan", "--lang", "fr"], 2, "invalid choice"),
    (["check", "/nonexistent/x.v1.json"], 2, "cannot read"),
])
def test_errors_are_one_line_on_stderr(argv, code, needle):
    got, out, err = run(argv)
    assert got == code and out == ""
    assert needle in err and err.count("\n") == 1 and err.startswith("forms: ")


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "example" in capsys.readouterr().out


def test_subprocess_python_m_forms_cli():
    r = subprocess.run([sys.executable, "-m", "forms.cli", "example", "keberangkatan_pmi"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert forms.load("keberangkatan_pmi").validate(json.loads(r.stdout)) == {}


def test_subprocess_python_m_forms_error_exit():
    r = subprocess.run([sys.executable, "-m", "forms", "check", str(CASES / "broken" / "bad_regex.json")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    # the vector file itself is not a form definition (no top-level id): refused on stderr
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "bad_regex.json" in r.stderr


def test_subprocess_main_py_forms_list():
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "forms", "list"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "laporan_kecurigaan\tv3" in r.stdout and "keberangkatan_pmi\tv3" in r.stdout
