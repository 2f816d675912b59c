"""The push encodes with JSON encoders built once (admission's size cap, the receipt leaf,
the stored receipt) where json.dumps built one per call: the same text, byte for byte, and
the same refusals, on what a hostile phone can put in its answers."""
from __future__ import annotations

import json

import pytest

from office.ingest import admission, envelopes
from sync import receipt

ODD = [
    {"nama": "Nurhayati binti Abdul", "catatan": "é ü 中文 \u2028 \U0001F600 \x00 \" \\ \n"},
    {"n": [1, 2.5, 1e300, -0.0, float("nan"), float("inf"), True, None], "z": {"b": 1, "a": [{"y": 2, "x": 1}]}},
    {"terlibat": [{"peran": "calo", "nama": "  Pak Udin  "}, {}], "": "", "10": 10, "2": 2},
    {},
]


@pytest.mark.parametrize("value", ODD)
def test_prebuilt_encoders_write_what_json_dumps_writes(value):
    assert admission._AS_TEXT(value) == json.dumps(value, ensure_ascii=False)
    assert receipt._canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    assert envelopes._STORED(value) == json.dumps(value, sort_keys=True)


def test_prebuilt_encoders_refuse_what_json_dumps_refuses():
    loop: dict = {}
    loop["self"] = loop
    for bad, error in ((loop, ValueError), ({"b": b"bytes"}, TypeError), ({"s": {1, 2}}, TypeError)):
        for encode in (admission._AS_TEXT, receipt._canonical, envelopes._STORED):
            with pytest.raises(error):
                encode(bad)
        with pytest.raises(error):
            json.dumps(bad)
