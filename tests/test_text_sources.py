"""The text engine's readers and proof: a usdasm-style tree we wrote (always), the real usdasm
and Oracle of Secrets trees when the environment names them:

    TRIFORCE_USDASM=/path/to/usdasm TRIFORCE_OOS=/path/to/Oracle-of-Secrets pytest tests/test_text_sources.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from text_fixtures import DICTIONARY, MESSAGES, message_bytes, write_usdasm
from triforce.cli import app
from triforce.errors import InputError
from triforce.text import decode, encode, usdasm
from triforce.text.audit import audit_file, audit_tree
from triforce.text.bundle import read_bundle, read_message_asm
from triforce.text.dictionary import Dictionary, load_dictionary
from triforce.text.proof import prove

USDASM = Path(os.environ["TRIFORCE_USDASM"]) if os.environ.get("TRIFORCE_USDASM") else None
OOS = Path(os.environ["TRIFORCE_OOS"]) if os.environ.get("TRIFORCE_OOS") else None
runner = CliRunner()


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    return write_usdasm(tmp_path / "usdasm")


def test_readers_on_a_usdasm_style_tree(fake: Path) -> None:
    dictionary = usdasm.read_dictionary(fake)
    assert dictionary.strings() == DICTIONARY
    assert {c: n for c, n in usdasm.read_command_lengths(fake).items() if n == 2} == dict.fromkeys(
        (0x6B, 0x6C, 0x6D, 0x6E, 0x77, 0x78, 0x79, 0x7A), 2
    )
    assert len(usdasm.read_widths(fake)) == 99
    game = usdasm.read_messages(fake)
    assert [m.data for m in game.messages] == [message_bytes(i) for i in range(len(MESSAGES))]
    assert [m.address for m in game.messages] == [0x1C8000, 0x1C800F, 0x0EDF40]
    assert game.bank_switch_at == 0x1C801D and game.end_at == 0x0EDF47
    for i, (text, _, _) in enumerate(MESSAGES):
        assert decode(message_bytes(i), dictionary) == text
        assert encode(text, dictionary) == message_bytes(i)


def test_prove_passes_on_the_fake_tree_and_fails_on_a_wrong_table(tmp_path: Path, fake: Path) -> None:
    report = prove(fake)
    assert report.ok, report.to_json()
    assert (report.messages, report.greedy_exact, report.glyph_lines, report.glyph_lines_agree) == (
        3,
        3,
        5,
        5,
    )
    assert report.banks[0]["messages"] == 2 and report.banks[1]["messages"] == 1
    widths = list(range(99))
    bad = prove(write_usdasm(tmp_path / "bad", widths=widths))
    assert not bad.ok and bad.width_diffs[0] == "$00: game 0, ours 6"
    lengths = [1] * 26
    worse = prove(write_usdasm(tmp_path / "worse", lengths=lengths))
    assert not worse.command_lengths_match and "$6B: game 1, ours 2" in worse.command_length_diffs


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no text\.asm"):
        prove(tmp_path)


def test_cli_prove_encode_decode_check(fake: Path) -> None:
    res = runner.invoke(app, ["text", "prove", "--usdasm", str(fake), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["greedy_exact"] == 3
    res = runner.invoke(app, ["text", "prove", "--usdasm", str(fake)])
    assert res.exit_code == 0 and "3/3" in res.output
    res = runner.invoke(app, ["text", "encode", "Welcome to the thing.", "--usdasm", str(fake), "--json"])
    assert json.loads(res.output)["hex"] == message_bytes(0).hex(" ").upper()
    res = runner.invoke(app, ["text", "encode", "[W:02]Hi", "--asm"])
    assert res.output.strip() == "db $6B, $02, $07, $22, $7F"
    res = runner.invoke(app, ["text", "decode", message_bytes(2).hex(" "), "--usdasm", str(fake)])
    assert res.output.strip() == "Hi  there"
    res = runner.invoke(app, ["text", "decode", "$07,$22,$7F", "--json"])
    assert json.loads(res.output) == {"text": "Hi", "bytes": 3}
    res = runner.invoke(app, ["text", "check", "My beans just love a good storm.", "--json"])
    assert res.exit_code == 1 and json.loads(res.output)["problems"][0]["px"] == 177
    res = runner.invoke(app, ["text", "check", "Short and sweet.[K]"])
    assert res.exit_code == 0 and "no problems" in res.output
    res = runner.invoke(app, ["text", "decode", "zz"])
    assert res.exit_code != 0


def test_dictionary_files(tmp_path: Path) -> None:
    path = tmp_path / "dict.yaml"
    path.write_text("entries:\n  - 'the'\n  - '  '\n", encoding="utf-8")
    assert load_dictionary(path).strings() == ["the", "  "]
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="list of strings"):
        load_dictionary(path)


def _bundle(tmp_path: Path, messages: list[dict[str, object]]) -> Path:
    path = tmp_path / "npc.json"
    path.write_text(
        json.dumps({"format": "yaze-message-bundle", "version": 1, "messages": messages}), "utf-8"
    )
    return path


def test_bundles_and_message_sources(tmp_path: Path) -> None:
    bundle = _bundle(
        tmp_path,
        [
            {"id": 3, "bank": "expanded", "raw": "[W:02]Short line.[K]"},
            {"id": 4, "bank": "expanded", "text": "My beans just love a good storm.[K]"},
            {"id": 5, "bank": "vanilla", "raw": "bad [FOO]"},
        ],
    )
    msgs = read_bundle(bundle)
    assert [m.absolute_id for m in msgs] == [0x190, 0x191, 5]
    audits = audit_file(bundle, None)
    assert audits[0].layout is not None and audits[0].layout.clean and audits[0].size == 15
    assert audits[1].layout is not None and audits[1].layout.problems[0].px == 177
    assert audits[2].error is not None and "unknown token [FOO]" in audits[2].error
    asm = tmp_path / "messages.asm"
    asm.write_text(
        "; generated\nMessage_18D:\n  db $6B, $02, $07, $22\n  db $7F\n\nMessage_18E:\n  db $7F\ndb $FF\n"
    )
    assert [(m.id, m.data) for m in read_message_asm(asm)] == [
        (0x18D, b"\x6b\x02\x07\x22\x7f"),
        (0x18E, b"\x7f\xff"),
    ]
    assert [a.error for a in audit_file(asm, None)] == [None, None]
    res = runner.invoke(app, ["text", "check", "-f", str(bundle), "--json"])
    assert res.exit_code == 1 and len(json.loads(res.output)) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "field 'format'"),
        (
            '{"format": "yaze-message-bundle", "messages": [{"id": -1, "bank": "expanded", "raw": ""}]}',
            "'id'",
        ),
        ('{"format": "yaze-message-bundle", "messages": [{"id": 1, "bank": "rom", "raw": ""}]}', "'bank'"),
        ('{"format": "yaze-message-bundle", "messages": [{"id": 1, "bank": "vanilla"}]}', "'raw' or 'text'"),
    ],
)
def test_bad_bundles_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_bundle(path)


def test_a_hack_tree_layout(tmp_path: Path) -> None:
    tree = tmp_path / "hack"
    (tree / "Data/dialogue").mkdir(parents=True)
    (tree / "Core/Generated").mkdir(parents=True)
    ours = Dictionary.from_strings(["the"])
    (tree / "Data/dialogue/expanded_messages.json").write_text(
        json.dumps(
            {
                "format": "yaze-message-bundle",
                "version": 1,
                "messages": [
                    {"id": 0, "bank": "expanded", "text": "[D:00]n"},
                    {"id": 1, "bank": "expanded", "text": "then"},
                ],
            }
        ),
        "utf-8",
    )
    (tree / "Core/Generated/expanded_messages.asm").write_text(
        "Message_18D:\n  db $88, $27, $7F\nMessage_18E:\n  db $2D, $21, $1E, $27, $7F\ndb $FF\n", "utf-8"
    )
    report = audit_tree(tree, ours)
    assert report.bundle_vs_asm == {"messages": 2, "same_bytes": 2, "greedy_canonical": 1}
    with pytest.raises(InputError, match="no Data/dialogue"):
        audit_tree(tmp_path, ours)


@pytest.mark.skipif(USDASM is None, reason="set TRIFORCE_USDASM to a usdasm checkout")
def test_the_397_vanilla_messages_round_trip_byte_exact() -> None:
    assert USDASM is not None
    report = prove(USDASM)
    assert report.messages == 397
    assert report.greedy_exact == report.text_roundtrip == report.at_label == 397
    assert report.optimal_not_longer == 397 and report.bytes_optimal < report.bytes_game
    assert report.dictionary_entries == 97
    assert report.command_lengths_match and report.widths_match
    assert report.glyph_lines > 5000 and report.glyph_lines_agree == report.glyph_lines
    assert report.ok
    # every fixed-text line but one ($01D, 169 px: only the last glyph's spacing column) fits
    overflows = [p for p in report.problems if p["code"] == "overflow"]
    assert [(p["id"], p["px"]) for p in overflows] == [("$01D", 169)]


@pytest.mark.skipif(USDASM is None or OOS is None, reason="set TRIFORCE_USDASM and TRIFORCE_OOS")
def test_oracle_of_secrets_overflows() -> None:
    assert USDASM is not None and OOS is not None
    report = audit_tree(OOS, usdasm.read_dictionary(USDASM))
    assert report.bundle_vs_asm["messages"] == report.bundle_vs_asm["same_bytes"] == 109
    generated = report.files["Core/Generated/expanded_messages.asm"]
    over = {
        a.id: max(p.px or 0 for p in a.layout.problems if p.code == "overflow")
        for a in generated
        if a.layout and any(p.code == "overflow" for p in a.layout.problems)
    }
    assert len(over) == 15 and over[0x1EA] == 177 and over[0x1D8] == 176
