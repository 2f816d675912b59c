"""A volunteer with real keys who files real sealed reports into an office database through
the office's own ingest (the path a phone's push takes, minus HTTP): for `rollup demo`,
the roll-up tests and the bench, so link keys are made exactly as in production.

The volunteer's private signing key lives in memory only; the office keys are generated
in memory too (a throwaway office has no data directory to keep them in).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, insert

import forms
from sync import envelope as env
from office import clock
from office.derive import worker
from office.ingest.envelopes import ingest_batch
from office.keys import OfficeKeys
from office.schema import devices, persons

from .names import RollupError


def throwaway_office_keys() -> OfficeKeys:
    return OfficeKeys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())


@dataclass
class Volunteer:
    person_id: str
    device_id: str
    signing: Ed25519PrivateKey

    @classmethod
    def enrol(cls, engine: Engine, village_id: int, name: str) -> "Volunteer":
        """Device + person rows as enrollment leaves them (public keys only)."""
        vol = cls(str(uuid.uuid4()), str(uuid.uuid4()), Ed25519PrivateKey.generate())
        x = X25519PrivateKey.generate().public_key()
        now = clock.iso(clock.now())
        with engine.begin() as conn:
            conn.execute(insert(devices).values(id=vol.device_id, token_hash=uuid.uuid4().hex * 2, created_at=now))
            conn.execute(insert(persons).values(
                id=vol.person_id, name=name, village_id=village_id, role="volunteer", device_id=vol.device_id,
                x25519_public=env.raw_public(x), ed25519_public=env.raw_public(vol.signing.public_key()),
                key_id=env.key_id(x).hex(), created_at=now))
        return vol

    def file(self, engine: Engine, keys: OfficeKeys, answers: dict, *, form_id: str = "laporan_kecurigaan",
             version: int = 2) -> str:
        """Seal `answers` for the office, ingest them and derive what the office would (its
        link keys among them: these offices' keys live in memory only, so no other process
        could); returns the envelope id."""
        form = forms.load(form_id, version)
        clean = form.check(answers)
        payload = {"answers": clean, "flags": form.flags(clean), "rahasia": form.is_confidential(clean),
                   "lang": "id"}
        sealed = env.seal(payload, form_id=form_id, form_version=version, author_id=self.person_id,
                          device_id=self.device_id, signing_key=self.signing, recipients=[keys.x25519.public_key()])
        with engine.begin() as conn:
            result = ingest_batch(conn, [sealed.envelope], device_id=self.device_id, keys=keys)[0]
        if result["status"] != "accepted":
            raise RollupError(f"the office refused the report: {result.get('code')} {result.get('reason')}")
        worker.exhaust(engine, keys)
        return sealed.envelope_id


def report_naming(phone: str | None = None, *, boat: str | None = None, name: str | None = None,
                  rahasia: bool = False, kategori: str = "rekrutmen") -> dict:
    """Suspicion-report answers (v2) naming one recruiter by phone (and boat/name)."""
    a = forms.load("laporan_kecurigaan", 2).example()
    entry = {"peran": "calo"}
    if phone:
        entry["telepon"] = phone
    if name:
        entry["nama"] = name
    entries = [entry]
    if boat:
        entries.append({"peran": "tekong", "kapal": boat})
    a.update(terlibat=entries, kategori=kategori, rahasia="ya" if rahasia else "tidak")
    return a
