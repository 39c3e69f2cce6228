import json
from pathlib import Path

import pytest

from dataset_factory import make, prose_sample
from triforce.dataset.sample_io import read_samples, write_samples
from triforce.errors import InputError


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_round_trip_keeps_every_field(tmp_path: Path, suffix: str) -> None:
    samples = [make(passed=True, states=3, meta={"assembled_hex": "c2 20", "k": [1, 2]}), prose_sample(1)]
    path = tmp_path / f"samples{suffix}"
    assert write_samples(path, samples) == 2
    back = read_samples(path).samples
    assert [s.model_dump() for s in back] == [s.model_dump() for s in samples]


def _write_with_bad_lines(path: Path) -> None:
    good = [make(prose=f"Question {i}") for i in range(5)]
    lines = [s.model_dump_json() for s in good]
    bad_role = json.loads(lines[1])
    bad_role["messages"][1]["role"] = "robot"
    lines[1] = json.dumps(bad_role)
    lines.insert(3, '{"messages": [}')  # not JSON at all
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_malformed_line_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    _write_with_bad_lines(path)
    with pytest.raises(InputError) as err:
        read_samples(path)
    msg = str(err.value)
    assert f"{path}:2: field messages.1.role:" in msg
    assert "1 more bad record" in msg


def test_skip_mode_loses_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    _write_with_bad_lines(path)
    result = read_samples(path, on_error="skip")
    assert [s.prompt() for s in result.samples] == ["Question 0", "Question 2", "Question 3", "Question 4"]
    assert [(e.line, e.field) for e in result.errors] == [(2, "messages.1.role"), (4, "")]
    assert "invalid JSON" in str(result.errors[1])


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    payload = make().model_dump()
    del payload["domain"]
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(payload) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"s\.jsonl:1: field domain: Field required"):
        read_samples(path)


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "out" / "samples.jsonl"
    write_samples(path, [make()])
    write_samples(path, [make(), prose_sample(2)])
    assert len(read_samples(path).samples) == 2
    assert [p.name for p in path.parent.iterdir()] == ["samples.jsonl"]


def test_bad_parquet_row_names_row_and_field(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from triforce.dataset.sample_io import samples_to_table

    table = samples_to_table([make(), prose_sample(1), prose_sample(2)])
    domains = table.column("domain").to_pylist()
    domains[1] = "hyrule"
    table = table.set_column(table.schema.get_field_index("domain"), "domain", pa.array(domains))
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError, match=r"s\.parquet:2: field domain:"):
        read_samples(path)
    assert len(read_samples(path, on_error="skip").samples) == 2
