"""The shipped Kemendagri list and picking villages from it (office-admin)."""
from __future__ import annotations

import pytest

from core.errors import BadRequest, NotFound
from office import regions


def test_the_project_regions_are_in_the_list():
    assert regions.get("65.03.01").name == "Sebatik"
    assert regions.get("65.03.01.2001").name == "Tanjungkarang"
    assert regions.get("53.04").name == "Kabupaten Belu"
    assert regions.get("72.09").name == "Kabupaten Tojo Una Una"
    assert {r.name for r in regions.path("61.06")} == {"Kalimantan Barat", "Kabupaten Kapuas Hulu"}
    assert regions.label("65.03.01.2001") == "Tanjungkarang, Sebatik, Kabupaten Nunukan, Kalimantan Utara"
    assert all(regions.DESA_CODE.match(r.code) for r in regions.villages("65.03"))


@pytest.mark.parametrize("code, err", [("65.03.01", BadRequest), ("6503012001", BadRequest),
                                       ("65.03.01.9999", NotFound), ("31.71.01.1001", NotFound)])
def test_codes_outside_the_list_are_refused_not_guessed(code, err):
    with pytest.raises(err):
        regions.desa(code)


def test_admin_adds_a_village_by_code_and_its_name_comes_from_the_list(office_server):
    out = office_server.admin_json(["add-village", "--code", "65.03.01.2001"])
    assert out["name"] == "Tanjungkarang" and out["region"] == "Kabupaten Nunukan"
    assert out["kode_version"] == regions.VERSION
    from office.cli import main
    assert main(["office-admin", "--data", str(office_server.data_dir), "add-village", "--code",
                 "65.03.01.2001"]) == 1                      # the same code twice
    assert main(["office-admin", "--data", str(office_server.data_dir), "add-village", "--code",
                 "65.03.01"]) == 1                           # a kecamatan, not a desa


def test_set_code_renames_to_the_official_name(office_server, capsys):
    office_server.admin(["add-village", "--name", "tanjung karang (salah ketik)"])
    out = office_server.admin_json(["set-village-code", "--village", "tanjung karang (salah ketik)",
                                    "--code", "65.03.01.2001"])
    assert out["name"] == "Tanjungkarang" and out["old_name"] == "tanjung karang (salah ketik)"


def test_cli_error_names_the_code(office_server, capsys):
    from office.cli import main
    rc = main(["office-admin", "--data", str(office_server.data_dir), "add-village", "--code", "65.03.01.9999"])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("error") and "65.03.01.9999" in err
