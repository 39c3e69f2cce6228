"""The C++ reader on the bundled fixture tree (original code written for these tests): exact
extents through namespaces, classes, templates, macros, nested parentheses and braces inside
strings and comments; facts; provenance; what it cannot parse is reported with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from triforce.cpp import bundled_tree, parse_source, read_tree
from triforce.errors import InputError

# (file, qualified name) -> (first line, last line): checked by reading the fixture by eye.
EXPECTED = {
    ("src/compress/lz.cc", "mz::compress::ReadHeader"): (8, 20),
    ("src/compress/lz.cc", "mz::compress::Decompress"): (24, 62),
    ("src/gfx/tile.cc", "mz::gfx::(anonymous)::TileBytes"): (12, 12),
    ("src/gfx/tile.cc", "mz::gfx::Tile8::Set"): (16, 18),
    ("src/gfx/tile.cc", "mz::gfx::Tile8::CountOpaque"): (21, 29),
    ("src/gfx/tile.cc", "mz::gfx::UnpackPlanar"): (33, 49),
    ("src/gfx/tile.cc", "mz::gfx::PackPlanar"): (52, 68),
    ("src/gfx/tile.cc", "mz::gfx::TilemapWord"): (71, 74),
    ("src/gfx/tile.cc", "mz::gfx::SnesColorsToRgb"): (77, 86),
    ("src/gfx/tile.h", "mz::gfx::Tile8::At"): (16, 16),
    ("src/gfx/tile.h", "mz::gfx::ClampIndex"): (26, 29),
    ("src/rom/pointers.cc", "mz::rom::SnesToPc"): (8, 10),
    ("src/rom/pointers.cc", "mz::rom::PcToSnes"): (13, 15),
    ("src/rom/pointers.cc", "mz::rom::RomImage::SheetAddress"): (18, 25),
    ("src/rom/pointers.cc", "mz::rom::RomImage::ReadWord"): (28, 34),
    ("src/rom/pointers.cc", "mz::rom::ReadWords"): (43, 50),
    ("src/rom/pointers.h", "mz::rom::RomImage::RomImage"): (19, 19),
    ("src/rom/pointers.h", "mz::rom::RomImage::size"): (23, 23),
    ("src/text/message.cc", "mz::text::GlyphWidth"): (15, 20),
    ("src/text/message.cc", "mz::text::OverlongLines"): (23, 37),
    ("src/text/message.cc", "mz::text::LineWidths"): (40, 53),
    ("src/util/broken.cc", "mz::util::Version"): (8, 8),
    ("src/util/broken.cc", "mz::util::LoadAll"): (12, 17),
    ("src/util/status.h", "mz::Status::Status"): (13, 13),
    ("src/util/status.h", "mz::Status::ok"): (16, 16),
    ("src/util/status.h", "mz::Status::message"): (17, 17),
    ("src/util/status.h", "mz::OkStatus"): (23, 23),
}


@pytest.fixture(scope="module")
def scan():  # type: ignore[no-untyped-def]
    return read_tree(bundled_tree())


def test_every_function_with_exact_extents(scan) -> None:  # type: ignore[no-untyped-def]
    got = {(f.file, f.qualified_name): (f.line_start, f.line_end) for f in scan.functions}
    assert got == EXPECTED
    root = bundled_tree()
    for f in scan.functions:
        data = (root / f.file).read_bytes()
        assert data[f.start_byte : f.end_byte].decode() == f.text
        assert f.text.rstrip().endswith("}")
        lines = data.decode().split("\n")
        assert f.text.startswith(lines[f.line_start - 1].strip())


def test_braces_in_strings_and_comments_do_not_move_extents(scan) -> None:  # type: ignore[no-untyped-def]
    count = next(f for f in scan.functions if f.name == "CountOpaque")
    assert "} a closing brace in a comment" in count.body
    assert count.doc.startswith("/// Counts the pixels") and '"{"' in count.doc
    read = next(f for f in scan.functions if f.name == "ReadWord")
    assert '" out of range {"' in read.body and read.line_end == 34


def test_signature_parameters_return_type_and_class(scan) -> None:  # type: ignore[no-untyped-def]
    fns = {f.qualified_name: f for f in scan.functions}
    words = fns["mz::rom::ReadWords"]
    assert words.signature == (
        "Status ReadWords(const RomImage& rom, uint32_t pc, int count, std::vector<uint16_t>* out)"
    )
    assert [(p.type, p.name) for p in words.parameters] == [
        ("const RomImage&", "rom"),
        ("uint32_t", "pc"),
        ("int", "count"),
        ("std::vector<uint16_t>*", "out"),
    ]
    assert words.return_type == "Status" and words.class_name == ""
    sheet = fns["mz::rom::RomImage::SheetAddress"]
    assert sheet.class_name == "RomImage" and sheet.signature.endswith(") const")
    clamp = fns["mz::gfx::ClampIndex"]
    assert clamp.is_template and clamp.signature.startswith("template <typename T>\nT ClampIndex(")
    assert fns["mz::rom::RomImage::RomImage"].return_type == ""
    assert fns["mz::rom::RomImage::RomImage"].inline_in_class
    assert fns["mz::Status::message"].return_type == "const std::string&"
    assert fns["mz::rom::RomImage::ReadWord"].doc.startswith("/// Reads a little-endian word")
    assert fns["mz::gfx::Tile8::Set"].doc == ""  # a blank line separates it from the comment above


def test_facts_calls_literals_constants_addresses(scan) -> None:  # type: ignore[no-untyped-def]
    fns = {f.qualified_name: f for f in scan.functions}
    words = fns["mz::rom::ReadWords"]
    assert words.calls == ("SheetCount", "MZ_RETURN_IF_ERROR", "ReadWord", "push_back", "OkStatus")
    sheet = fns["mz::rom::RomImage::SheetAddress"]
    assert sheet.named_constants == ("kNumSheets", "kSheetLowTable", "kSheetBankTable", "kSheetHighTable")
    assert sheet.calls == ("size", "SnesToPc")
    to_snes = fns["mz::rom::PcToSnes"]
    assert to_snes.literals == ("1", "0x7F0000", "0x7FFF", "0x8000", "0x800000")
    assert to_snes.addresses == (0x7F0000,)  # 0x7FFF is a mask, 0x8000 and 0x800000 single bits
    assert fns["mz::gfx::TilemapWord"].calls == ()  # static_cast is a cast, not a call


def test_macro_it_cannot_expand_is_reported(scan) -> None:  # type: ignore[no-untyped-def]
    problems = [(p.file, p.line, p.snippet) for p in scan.problems]
    assert problems == [("src/rom/pointers.cc", 38, "MZ_DEFINE_SIZE(SheetCount, kNumSheets)")]
    assert "macro" in scan.problems[0].reason


def test_includes_and_provenance(scan) -> None:  # type: ignore[no-untyped-def]
    tile = scan.file("src/gfx/tile.cc")
    assert [(i.target, i.system, i.line) for i in tile.includes] == [
        ("gfx/tile.h", False, 1),
        ("cstddef", True, 3),
        ("util/status.h", False, 5),
    ]
    assert scan.origin.license == "MIT"
    summary = scan.summary()
    assert summary["functions"] == len(EXPECTED) and summary["per_folder"]["src/gfx"] == 9


def test_parse_source_odd_cases() -> None:
    src = (
        "namespace a::b {\n"
        "template <typename T> struct Box {\n"
        "  T get() const { return v; }\n"
        "  T v;\n"
        "};\n"
        "int (*Pick(int n))(int) { return nullptr; }\n"
        "auto Add(int x, int y) -> long { return f((x), (g(y, (1)))); }\n"
        "}\n"
    )
    parsed = parse_source(src, "x.cc")
    fns = {f.qualified_name: f for f in parsed.functions}
    assert set(fns) == {"a::b::Box::get", "a::b::Pick", "a::b::Add"}
    assert [(p.type, p.name) for p in fns["a::b::Pick"].parameters] == [("int", "n")]
    add = fns["a::b::Add"]
    assert add.return_type == "long" and add.calls == ("f", "g") and add.line_start == 7
    assert not parsed.problems


def test_read_tree_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_tree(tmp_path / "nope")
    (tmp_path / "a.cc").write_bytes(b"int f() { return 0; }\n\0")
    (tmp_path / "b.cc").write_bytes(b"int g() { return '\xff'; }\n")
    scan = read_tree(tmp_path)
    assert dict(scan.skipped) == {"a.cc": "binary (NUL bytes)", "b.cc": "not UTF-8 (byte 18)"}
