"""`handover verify` reads nothing outside the zip (issue 22.5). The attacker re-signs a
package with their own key (no --expect-key: the recipient has not checked yet) and names
`schema`, `dialect` and `profile` as URLs on a loopback server that records every request;
verification refuses the package and the server sees nothing. Positive control: plain
frictionless on the same unpacked descriptor does fetch."""
from __future__ import annotations

import base64
import json
import zipfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import frictionless
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from jaga_desa.testing.loopback import LoopbackHTTP
from office.handover import PackageInvalid, verify
from office.handover.package import SIGNED_PREFIX

from .test_verify import rezip


class Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:          # noqa: N802 - http.server's naming
        Recorder.seen.append(self.path)
        body = json.dumps({"fields": [{"name": "x", "type": "string"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def recorder():
    Recorder.seen = []
    server = LoopbackHTTP(Recorder)
    yield server
    server.close()


@pytest.fixture(scope="module")
def package(seeded, tmp_path_factory) -> Path:
    return seeded.export("B", tmp_path_factory.mktemp("hostile") / "b.zip", "--recipient", "BP3MI Kaltara")


def resign(src: Path, dst: Path, edit_descriptor) -> Path:
    """The attacker's package: descriptor edited, signed with the attacker's own keys."""
    ed, x = Ed25519PrivateKey.generate(), X25519PrivateKey.generate()
    with zipfile.ZipFile(src) as z:
        desc = json.loads(z.read("datapackage.json"))
    edit_descriptor(desc)
    body = (json.dumps(desc) + "\n").encode()

    def edit(name, data):
        if name == "datapackage.json":
            return body
        if name == "signature.json":
            sig = json.loads(data)
            sig.update(public_key=base64.b64encode(ed.public_key().public_bytes_raw()).decode(),
                       office_x25519_public=base64.b64encode(x.public_key().public_bytes_raw()).decode(),
                       signature=base64.b64encode(ed.sign(SIGNED_PREFIX + body)).decode())
            return json.dumps(sig).encode()
        return data
    return rezip(src, dst, edit)


def _points(where: str, key: str, file: str):
    """An attack: the descriptor's `key` (on the package or its first resource) names a URL."""
    def attack(url):
        def edit(d):
            (d if where == "package" else d["resources"][0])[key] = f"{url}/{file}"
        return edit
    attack.__name__ = f"{where}_{key}_url"
    return attack


_schema_url = _points("resource", "schema", "schema.json")
_dialect_url = _points("resource", "dialect", "dialect.json")
_resource_profile = _points("resource", "profile", "resource-profile.json")
_package_profile = _points("package", "profile", "package-profile.json")


def _field_schema_ref(url):
    def edit(d):
        d["resources"][0]["schema"]["$schema"] = f"{url}/table-schema.json"
        d["resources"][0]["schema"]["foreignKeys"] = [
            {"fields": ["form_id"], "reference": {"resource": "x", "package": f"{url}/pkg.json", "fields": ["x"]}}]
    return edit


@pytest.mark.parametrize("attack", [_schema_url, _dialect_url, _resource_profile, _package_profile,
                                    _field_schema_ref])
def test_verify_fetches_nothing_a_descriptor_names(package, recorder, tmp_path, attack):
    bad = resign(package, tmp_path / "hostile.zip", attack(recorder.url))
    try:
        verify(bad)
    except PackageInvalid:
        pass                    # refused or not, what matters is that nothing was fetched
    assert Recorder.seen == [], f"verify made requests the attacker chose: {Recorder.seen}"


@pytest.mark.parametrize("attack", [_schema_url, _dialect_url, _resource_profile, _package_profile])
def test_a_referenced_schema_or_profile_is_refused(package, recorder, tmp_path, attack):
    bad = resign(package, tmp_path / "hostile.zip", attack(recorder.url))
    with pytest.raises(PackageInvalid, match="outside profile|written inside datapackage.json"):
        verify(bad)


def test_positive_control_plain_frictionless_would_fetch(package, recorder, tmp_path):
    bad = resign(package, tmp_path / "hostile.zip", _schema_url(recorder.url))
    with zipfile.ZipFile(bad) as z:
        z.extractall(tmp_path / "unpacked")
    frictionless.validate(str(tmp_path / "unpacked" / "datapackage.json"))
    assert Recorder.seen, "the recorder would have seen a fetch: this test can fail"
