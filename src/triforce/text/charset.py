"""The US font: what each character byte $00-$66 shows and how wide it is.

Facts (numbers), not game data: the glyph order is the font's tile order and the widths are
the variable-width-font table at $0E:CADF (99 bytes for $00-$62; usdasm `bank_0E.asm`,
`pool RenderText_PerformVWFing .width`). Bytes $63-$66 have no entry: the game reads past the
table (into its bit masks), so a layout that uses them has no defined width.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAR_LIMIT = 0x67  # bytes below this are characters; $67-$7F are commands
SPACE = 0x59
WIDTH_TABLE_ADDRESS = 0x0ECADF
LINE_PX = 168  # 21 tiles of 8 px per line buffer (`.render_offsets` $0000/$02A0/$0540)

# fmt: off
_WIDTHS: tuple[int, ...] = (
    6, 6, 6, 6, 6, 6, 6, 6, 3,          # A-I
    6, 6, 6, 7, 6, 6, 6, 6, 6,          # J-R
    6, 7, 6, 7, 7, 7, 7, 6,             # S-Z
    6, 6, 6, 6, 6, 6, 6, 6, 3,          # a-i
    5, 6, 3, 7, 6, 6, 6, 6, 5,          # j-r
    6, 6, 6, 7, 7, 7, 7, 6,             # s-z
    6, 4, 6, 6, 6, 6, 6, 6, 6, 6,       # 0-9
    3, 7, 6, 4, 4, 6,                   # ! ? - . , …
    8, 6, 6, 6, 6, 6, 8, 8,             # > ( ) ankh waves snake face-left face-right
    8, 7, 7, 7, 7, 4,                   # " up down left right '
    8, 8, 8, 8, 8, 8, 8,                # hearts
    4, 8, 8, 8, 8, 8,                   # space < A B X Y
    8, 8, 8, 4,                         # $5F-$62 (no glyph in normal text)
)
# fmt: on
assert len(_WIDTHS) == 99


@dataclass(frozen=True)
class Glyph:
    code: int
    text: str  # how it is written in the readable syntax: a character or a [TOKEN]
    name: str  # a short description
    aliases: tuple[str, ...] = ()  # other spellings accepted on input (unicode, zelda3 names)


def _build() -> tuple[Glyph, ...]:
    out: list[Glyph] = []
    for i in range(26):
        out.append(Glyph(i, chr(ord("A") + i), f"letter {chr(ord('A') + i)}"))
    for i in range(26):
        out.append(Glyph(0x1A + i, chr(ord("a") + i), f"letter {chr(ord('a') + i)}"))
    for i in range(10):
        out.append(Glyph(0x34 + i, str(i), f"digit {i}"))
    specials: list[tuple[str, str, tuple[str, ...]]] = [
        ("!", "exclamation mark", ()),
        ("?", "question mark", ()),
        ("-", "hyphen", ()),
        (".", "full stop", ()),
        (",", "comma", ()),
        ("[...]", "ellipsis", ("…",)),
        (">", "choice arrow", ()),
        ("(", "left parenthesis", ()),
        (")", "right parenthesis", ()),
        ("[HY0]", "hieroglyph ankh", ("☥", "[Ankh]")),
        ("[HY1]", "hieroglyph waves", ("[Waves]",)),
        ("[HY2]", "hieroglyph snake", ("[Snake]",)),
        ("[LFL]", "Link's face, left half", ("[LinkL]",)),
        ("[LFR]", "Link's face, right half", ("[LinkR]",)),
        ('"', "double quote", ()),
        ("[UP]", "arrow up", ("↑", "[Up]")),
        ("[DOWN]", "arrow down", ("↓", "[Down]")),
        ("[LEFT]", "arrow left", ("←", "[Left]")),
        ("[RIGHT]", "arrow right", ("→", "[Right]")),
        ("'", "apostrophe", ()),
        ("[HP1L]", "heart, 1/4 left", ("[1HeartL]",)),
        ("[HP1R]", "heart, 1/4 right", ("[1HeartR]",)),
        ("[HP2L]", "heart, 2/4 left", ("[2HeartL]",)),
        ("[HP3L]", "heart, 3/4 left", ("[3HeartL]",)),
        ("[HP3R]", "heart, 3/4 right", ("[3HeartR]",)),
        ("[HP4L]", "heart, full left", ("[4HeartL]",)),
        ("[HP4R]", "heart, full right", ("[4HeartR]",)),
        (" ", "space", ()),
        ("<", "left arrow head", ()),
        ("[A]", "A button", ("Ⓐ",)),
        ("[B]", "B button", ("Ⓑ",)),
        ("[X]", "X button", ("ⓧ",)),
        ("[Y]", "Y button", ("ⓨ",)),
    ]
    for offset, (text, name, aliases) in enumerate(specials):
        out.append(Glyph(0x3E + offset, text, name, aliases))
    for code in range(0x5F, CHAR_LIMIT):
        out.append(Glyph(code, f"[${code:02X}]", f"byte ${code:02X} (no glyph in normal text)"))
    assert [g.code for g in out] == list(range(CHAR_LIMIT))
    return tuple(out)


GLYPHS: tuple[Glyph, ...] = _build()


def width(code: int) -> int | None:
    """Pixel width of character `code` in the VWF table; None for $63-$66 (no entry)."""
    if not 0 <= code < CHAR_LIMIT:
        raise ValueError(f"${code:02X} is not a character byte")
    return _WIDTHS[code] if code < len(_WIDTHS) else None


def glyph_text(code: int) -> str:
    return GLYPHS[code].text


def text_px(codes: list[int] | tuple[int, ...]) -> int:
    """Total width of a run of characters (characters without a width count 8, the widest)."""
    return sum(w if (w := width(c)) is not None else 8 for c in codes)
