"""EncodedRow: a sample that crosses processes and reaches the files as the JSON text it was made with."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from triforce.generate.store import EncodedRow, UnitLog, write_jsonl_atomic


def test_row_pickles_as_its_text_and_writes_the_same_line(tmp_path: Path) -> None:
    row = EncodedRow({"id": "x", "meta": {"generator": "base"}, "text": "é $7E"})
    back = pickle.loads(pickle.dumps(row))
    assert isinstance(back, EncodedRow) and back == row and back.text == row.text
    plain = dict(row)
    write_jsonl_atomic(tmp_path / "a.jsonl", [back])
    write_jsonl_atomic(tmp_path / "b.jsonl", [plain])
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_unit_log_line_loads_back_to_the_unit(tmp_path: Path) -> None:
    unit = {
        "routine": "r",
        "generators": ["base"],
        "samples": [EncodedRow({"id": "1", "meta": {"generator": "base"}}), {"id": "2", "meta": {}}],
        "rejects": [],
        "candidates": {"base": 2},
    }
    log = UnitLog(tmp_path, {"seed": 0})
    log.append(unit)
    log.append({**unit, "routine": "s", "samples": []})
    log.close()
    lines = (tmp_path / ".work" / "units.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == unit
    assert json.loads(lines[1])["samples"] == []
    assert UnitLog(tmp_path, {"seed": 0}).units[0] == unit  # a resumed build reads it back
