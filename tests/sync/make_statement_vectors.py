"""Generate tests/sync/vectors/statement_v1.json — deterministic signed-statement vectors.

    python -m tests.sync.make_statement_vectors     # rewrite the JSON (only when the format changes!)

The office key comes from a fixed seed (as in make_vectors); Ed25519 is deterministic, so an
inbox item, an enrollment answer and both kinds of refusal sign to the same bytes on every
backend of core.crypto. tests/sync/vector_checks.py re-signs and re-checks them (on CPython,
and inside Pyodide with the noble backend).
"""
from __future__ import annotations

import json
from pathlib import Path

from core.crypto import Ed25519PrivateKey
from sync import statement
from tests.sync.make_vectors import seed_bytes

OUT = Path(__file__).with_name("vectors") / "statement_v1.json"
OFFICE = Ed25519PrivateKey.from_private_bytes(seed_bytes("office-ed25519"))
WHEN = "2026-11-26T08:00:00.000Z"
ITEM = {"item_id": "5d1f0e7c-1f55-4e0e-9a3e-2b1c0f2b9a11", "kind": "feedback",
        "person_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "issued_at": WHEN,
        "body": {"report_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "message": "Terima kasih — sudah ditindaklanjuti"}}
ANSWER = {"device_id": "3f333df6-90a4-4fda-8dd3-9485d27cee36", "person_id": ITEM["person_id"],
          "village": "Sebatik Tengah", "office_x25519": "00" * 32}
REFUSAL = {"code": "revoked", "device_id": ANSWER["device_id"], "refused_at": WHEN, "purpose": "push",
           "nonce": "bm9uY2UtZm9yLXRoaXMtcHVzaA"}
ENVELOPE = b"JD\x01 the exact bytes refused"


def build() -> dict:
    return {
        "description": "Jaga Desa signed statements (sync/statement.py); office key = "
                       "SHA-256('jaga-desa test vector seed/office-ed25519').",
        "office_ed25519_public": OFFICE.public_key().public_bytes_raw().hex(),
        "item": ITEM, "item_wire": statement.sign_item(ITEM, OFFICE),
        "answer": ANSWER, "answer_signature": statement.sign_answer(ANSWER, OFFICE),
        "refusal": REFUSAL, "envelope": ENVELOPE.hex(), "envelope_id": ITEM["body"]["report_id"],
        "item_refusal": statement.sign_refusal(OFFICE, **REFUSAL, envelope=ENVELOPE,
                                               envelope_id=ITEM["body"]["report_id"]),
        "device_refusal": statement.sign_refusal(OFFICE, **REFUSAL),
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")
