"""The text engine on hand-written vectors: every character and command, a dictionary we wrote,
the two compression modes, parse/decode errors, the layout checker and the bank packer."""

from __future__ import annotations

import pytest

from triforce.text import (
    COMMANDS,
    Dictionary,
    LayoutRules,
    TextBank,
    TextDecodeError,
    TextSyntaxError,
    check_bytes,
    check_text,
    decode,
    encode,
    format_tokens,
    from_bytes,
    pack,
    parse,
    width,
)
from triforce.text.charset import GLYPHS

# Every command, written by hand: text -> bytes (without the $7F end byte)
COMMAND_VECTORS = {
    "[IMG]": "67",
    "[CH2I]": "68",
    "[CHI]": "69",
    "[L]": "6A",
    "[W:02]": "6B 02",
    "[N:03]": "6C 03",
    "[P:01]": "6D 01",
    "[SPD:04]": "6E 04",
    "[CH2L]": "6F",
    "[NONO]": "70",
    "[CH3]": "71",
    "[CH2]": "72",
    "[V]": "73",
    "[1]": "74",
    "[2]": "75",
    "[3]": "76",
    "[C:05]": "77 05",
    "[WT:06]": "78 06",
    "[SFX:2D]": "79 2D",
    "[S:03]": "7A 03",
    "[MARK]": "7B",
    "[MARK2]": "7C",
    "[CLR]": "7D",
    "[K]": "7E",
}
ALIASES = {
    "[Speed 03]": "7A 03",
    "[Window 02]": "6B 02",
    "[Sound 45]": "79 2D",
    "[Waitkey]": "7E",
    "[Scroll]": "73",
    "[Name]": "6A",
    "[Choose3]": "71",
    "[k]": "7E",
    "[w:2]": "6B 02",
}
CHAR_VECTORS = {
    "AZaz09": "00 19 1A 33 34 3D",
    "!?-.,[...]>()": "3E 3F 40 41 42 43 44 45 46",
    "…": "43",
    "[HY0][HY1][HY2][LFL][LFR]": "47 48 49 4A 4B",
    "[Ankh][Waves][Snake][LinkL][LinkR]": "47 48 49 4A 4B",
    "\"[UP][DOWN][LEFT][RIGHT]'": "4C 4D 4E 4F 50 51",
    "↑↓←→": "4D 4E 4F 50",
    "[HP1L][HP1R][HP2L][HP3L][HP3R][HP4L][HP4R]": "52 53 54 55 56 57 58",
    "[1HeartL][4HeartR]": "52 58",
    " <[A][B][X][Y]": "59 5A 5B 5C 5D 5E",
    "ⒶⒷⓧⓨ": "5B 5C 5D 5E",
    "[$5F][$66]": "5F 66",
}


def _hex(text: str) -> str:
    return encode(text).hex(" ").upper()


@pytest.mark.parametrize(("text", "expected"), list(COMMAND_VECTORS.items()))
def test_every_command_encodes_and_decodes(text: str, expected: str) -> None:
    assert _hex(text) == expected + " 7F"
    assert decode(bytes.fromhex(expected + "7F")) == text


def test_the_vectors_cover_every_command_and_argument_commands_are_the_games_eight() -> None:
    covered = {bytes.fromhex(v)[0] for v in COMMAND_VECTORS.values()}
    assert covered == {c.code for c in COMMANDS} - {0x7F}
    with_arg = {bytes.fromhex(v)[0] for v in COMMAND_VECTORS.values() if len(bytes.fromhex(v)) == 2}
    assert with_arg == {0x6B, 0x6C, 0x6D, 0x6E, 0x77, 0x78, 0x79, 0x7A}


@pytest.mark.parametrize(("text", "expected"), list(ALIASES.items()))
def test_zelda3_names_and_case_are_accepted(text: str, expected: str) -> None:
    assert _hex(text) == expected + " 7F"


@pytest.mark.parametrize(("text", "expected"), list(CHAR_VECTORS.items()))
def test_characters(text: str, expected: str) -> None:
    assert _hex(text) == expected + " 7F"


def test_every_character_round_trips_through_its_canonical_text() -> None:
    data = bytes(range(0x67)) + b"\x7f"
    text = decode(data)
    assert encode(text) == data
    assert [g.code for g in GLYPHS] == list(range(0x67))


def test_widths_from_the_vwf_table() -> None:
    assert [width(c) for c in (0x00, 0x08, 0x0C, 0x1A, 0x22, 0x25, 0x26, 0x35, 0x3E, 0x59, 0x5B, 0x62)] == [
        6,
        3,
        7,
        6,
        3,
        3,
        7,
        4,
        3,
        4,
        8,
        4,
    ]
    assert width(0x63) is None and width(0x66) is None
    with pytest.raises(ValueError):
        width(0x67)


# A dictionary we wrote. Table order decides the greedy form.
OURS = Dictionary.from_strings(["  ", "an", "and ", "the", "th", "e ", "you"])


def test_greedy_takes_the_first_matching_entry_in_table_order() -> None:
    # "and " -> [an] d ' ' (entry 1 comes before entry 2), "the " -> [the] ' '
    assert encode("and the you", OURS).hex(" ").upper() == "89 1D 59 8B 59 8E 7F"
    # a two-space run, then "th" + "e " where "the" does not match ("th" then "e ")
    assert encode("Hi  thxe ", OURS).hex(" ").upper() == "07 22 88 8C 31 8D 7F"


def test_optimal_is_never_longer_and_finds_the_better_split() -> None:
    assert encode("and ", OURS, "optimal").hex(" ").upper() == "8A 7F"  # [and ] beats [an] d ' '
    assert len(encode("and ", OURS)) == 4
    for text in ["and the you and theme", "thee e  and  an", "The end", "anand and the  you"]:
        greedy, optimal = encode(text, OURS), encode(text, OURS, "optimal")
        assert len(optimal) <= len(greedy)
        assert decode(optimal, OURS) == decode(greedy, OURS) == text


def test_references_never_span_a_command_and_keep_mode_keeps_what_is_written() -> None:
    assert encode("th[K]e ", OURS).hex(" ").upper() == "8C 7E 8D 7F"
    assert encode("[D:03]x", OURS, "keep").hex(" ").upper() == "8B 31 7F"
    assert encode("[D:03]x", OURS, "none").hex(" ").upper() == "2D 21 1E 31 7F"
    assert decode(bytes.fromhex("8B317F")) == "[D:03]x"
    assert decode(bytes.fromhex("8B317F"), OURS) == "thex"


def test_newlines_are_allowed_only_before_a_line_command() -> None:
    assert parse("one\n[2]two\r\n[V]three\n") == parse("one[2]two[V]three")
    data = encode("a[2]b[K][V]c")
    assert decode(data, newlines=True) == "a\n[2]b[K]\n[V]c"
    with pytest.raises(TextSyntaxError, match="column 4: a newline is not a text command"):
        parse("one\ntwo")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[FOO]", "column 1: unknown token"),
        ("Hi [W]", "column 4: .*takes an argument byte"),
        ("[K:01]", "takes no argument"),
        ("[W:100]", "unknown token"),
        ("[Speed 300]", "does not fit in a byte"),
        ("it’s", "not in the font; use '"),
        ("a: b", "no colon"),
        ("[BANK]", "placed by the packer"),
        ("[END]x", "may only close the text"),
        ("[K", "without a closing"),
        ("x]", "without an opening"),
        ("[$67]", "raw byte token names a character"),
        ("[D:7F]", "past the last byte"),
    ],
)
def test_parse_errors_name_the_column_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(TextSyntaxError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("00", "no end byte"),
        ("6B", "missing its argument"),
        ("0080 7F", "bank switch, inside a message"),
        ("00FF7F", "end of all text"),
        ("0084", "not a text byte"),
        ("007F01", "after the end"),
    ],
)
def test_decode_errors(data: str, message: str) -> None:
    with pytest.raises(TextDecodeError, match=message):
        decode(bytes.fromhex(data))


def test_from_bytes_reads_one_message_and_says_where_it_ends() -> None:
    tokens, end = from_bytes(bytes.fromhex("00 7F 01 6B 02 7F"), start=2)
    assert end == 6 and format_tokens(tokens) == "B[W:02]"
    assert encode("[D:00]", OURS, "keep") == b"\x88\x7f"
    with pytest.raises(Exception, match="past the dictionary"):
        decode(bytes.fromhex("F07F"), OURS)


def test_empty_and_bad_dictionaries() -> None:
    with pytest.raises(Exception, match="characters only"):
        Dictionary.from_strings(["[K]"])
    with pytest.raises(Exception, match="characters only"):
        Dictionary.from_strings([""])
    assert encode("the", Dictionary(())) == bytes.fromhex("2D211E7F")


# --- layout ------------------------------------------------------------------------------


def test_a_line_of_28_six_pixel_letters_fills_the_box_exactly() -> None:
    fits = check_text("A" * 28)
    assert fits.clean and fits.lines[0].px == 168
    over = check_text("A" * 27 + "W")  # W is 7 px
    assert [p.code for p in over.problems] == ["overflow"]
    assert over.problems[0].px == 169 and over.problems[0].word == "A" * 27 + "W"


def test_the_name_counts_its_declared_budget() -> None:
    text = "[L], the " + "a" * 16  # 42 + 4+4 + 6+6+6 +4 + 96 = 168
    assert check_text(text).lines[0].px == 168
    layout = check_text(text + "b", LayoutRules(name_px=42))
    assert layout.problems[0].code == "overflow" and "42 px for the name" in layout.problems[0].message
    assert check_text(text + "b", LayoutRules(name_px=36)).clean
    assert check_text("[N:00]" * 28).lines[0].px == 168  # a digit is 6 px


def test_overflow_names_the_word_that_crosses_the_edge() -> None:
    layout = check_text("My beans just love a good storm.")  # 177 px
    assert layout.problems[0].px == 177 and layout.problems[0].word == "storm."


def test_rows_scrolling_and_pauses() -> None:
    layout = check_text("one[2]two[3]three[K][V]four[V]five[V]six[K]")
    assert [(ln.row, ln.pause) for ln in layout.lines] == [(0, 0), (1, 0), (2, 0), (2, 1), (2, 1), (2, 1)]
    assert layout.clean and layout.pauses == 2


def test_text_after_a_key_press_continues_the_same_line() -> None:
    layout = check_text("A" * 20 + "[K]" + "A" * 10)  # the pen does not move on [K]
    assert len(layout.lines) == 1 and layout.lines[0].px == 180
    assert [p.code for p in layout.problems] == ["overflow"]
    # a line finished before a pause and scrolled out after it was read: no warning
    assert check_text("one[2]two[3]three[K][V]four[V]five[V]six").clean


def test_a_scroll_that_pushes_out_an_unread_line_is_a_warning() -> None:
    layout = check_text("This line goes first[V]and is gone[K]")
    assert [p.code for p in layout.problems] == ["scrolled-unread"]
    assert layout.ok and not layout.clean


def test_writing_over_a_row_leaves_what_sticks_out() -> None:
    stale = check_text("WWWWWW[K][1]ii")
    assert [p.code for p in stale.problems] == ["overwrite"]
    cleared = check_text("WWWWWW[K][1]" + " " * 11 + "[1]ii")  # 11 spaces = 44 px >= 42
    assert cleared.clean


def test_choices() -> None:
    assert check_text("Do you?[2]    > Yes[3]      No[CH2I]").clean
    assert check_text("> Yes[2]  No[CH2]").clean
    assert check_text(">One[2]  Two[3]  Three[CH3]").clean
    assert check_text("Wish?[2]  >More bombs[3]    More arrows[CH2L]").clean
    assert check_text("Pick an item[CHI]").clean
    late = check_text("Do you?[2]    > Yes[3]      No[CH2I]x")
    assert "choice-not-last" in [p.code for p in late.problems]
    bad = check_text("Do you?[2]> Yes[3]No[CH2I]")
    assert [p.code for p in bad.problems] == ["choice-rows", "choice-rows"]
    two = check_text("> Yes[2]>No[CH2]")
    assert [p.code for p in two.problems] == ["choice-rows"]


def test_glyphless_and_unused_bytes_are_problems() -> None:
    assert [p.code for p in check_text("[$63]").problems] == ["no-width"]
    assert [p.code for p in check_text("[NONO]").problems] == ["unused-command"]


def test_layout_from_bytes_with_a_dictionary() -> None:
    data = encode("and the you", OURS)
    with pytest.raises(Exception, match="give the dictionary"):
        check_bytes(data)
    assert check_bytes(data, dictionary=OURS).lines[0].text == "and the you"
    assert check_bytes(data[:-1], dictionary=OURS).lines[0].text == "and the you"


def test_bank_packing() -> None:
    banks = (TextBank("one", 0x1C8000, 0x1C8010), TextBank("two", 0x0E0000, 0x0E0008))
    # 5 + 5 + 6 needs 17 bytes with the $80; 6 + 3 needs 10 with the $FF
    packed = pack([5, 5, 6, 3, 4], banks)
    assert [(b.first, b.last, b.used) for b in packed.banks] == [(0, 1, 11), (2, 2, 7)]
    assert packed.overflow == [3, 4] and not packed.ok
    exact = pack([5, 5, 5, 3, 4], banks)  # 15 + $80 = 16, 7 + $FF = 8: both banks full
    assert exact.ok and [b.free for b in exact.banks] == [0, 0]
