"""Bytes <-> tokens <-> readable text, and dictionary compression.

Compression modes:
- `greedy`: the game's canonical form. At each character, the dictionary entries that start
  with it are tried in table order and the first that matches is taken; otherwise the character
  is written as is. This reproduces every vanilla message byte for byte (`triforce text prove`).
- `optimal`: the fewest bytes (shortest path over each run of characters); never longer than
  greedy. Ties prefer the longer entry, then the lower index.
- `none`: characters only (valid for the game, just longer).
- `keep`: the references the text already has (`[D:2C]`), nothing added: the bytes as written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from triforce.errors import InputError
from triforce.text.charset import CHAR_LIMIT
from triforce.text.commands import BANK_SWITCH, BY_CODE, DICT_BASE, END, END_OF_TEXT
from triforce.text.dictionary import Dictionary
from triforce.text.tokens import Token, char, cmd, format_tokens, parse, ref

Mode = Literal["greedy", "optimal", "none", "keep"]
MODES: tuple[str, ...] = ("greedy", "optimal", "none", "keep")


class TextDecodeError(InputError):
    """Bytes that are not a well-formed message (the message names the offset)."""


def from_bytes(data: bytes | bytearray, start: int = 0) -> tuple[list[Token], int]:
    """Decode one message starting at `start`: (its tokens without the end byte, the offset just
    after its $7F)."""
    out: list[Token] = []
    i = start
    n = len(data)
    while i < n:
        b = data[i]
        if b < CHAR_LIMIT:
            out.append(char(b))
            i += 1
        elif b == END:
            return out, i + 1
        elif b < BANK_SWITCH:
            info = BY_CODE[b]
            if info.has_arg:
                if i + 1 >= n:
                    raise TextDecodeError(f"offset {i}: [{info.token}] is missing its argument byte")
                out.append(cmd(b, data[i + 1]))
                i += 2
            else:
                out.append(cmd(b))
                i += 1
        elif b >= DICT_BASE and b != END_OF_TEXT:
            out.append(ref(b - DICT_BASE))
            i += 1
        else:
            what = {BANK_SWITCH: "a bank switch", END_OF_TEXT: "the end of all text"}.get(
                b, "not a text byte"
            )
            raise TextDecodeError(f"offset {i}: ${b:02X} is {what}, inside a message")
    raise TextDecodeError(f"offset {start}: the message has no end byte $7F")


def to_bytes(tokens: Sequence[Token], terminate: bool = True) -> bytes:
    """Tokens -> bytes (with the $7F end byte unless `terminate` is False)."""
    out = bytearray()
    for tok in tokens:
        if tok.kind == "char":
            out.append(tok.value)
        elif tok.kind == "dict":
            out.append(DICT_BASE + tok.value)
        else:
            out.append(tok.value)
            if tok.arg is not None:
                out.append(tok.arg)
    if terminate:
        out.append(END)
    return bytes(out)


def expand(tokens: Sequence[Token], dictionary: Dictionary) -> list[Token]:
    """Replace each dictionary reference by the characters it stands for."""
    out: list[Token] = []
    for tok in tokens:
        if tok.kind != "dict":
            out.append(tok)
            continue
        if tok.value >= len(dictionary):
            raise InputError(
                f"[D:{tok.value:02X}] (byte ${DICT_BASE + tok.value:02X}) is past the dictionary's "
                f"{len(dictionary)} entries"
            )
        out.extend(char(c) for c in dictionary.entries[tok.value])
    return out


def _runs(tokens: Sequence[Token]) -> Iterator[tuple[bool, list[Token]]]:
    """(is a run of characters, tokens) in order."""
    run: list[Token] = []
    for tok in tokens:
        if tok.kind == "char":
            run.append(tok)
            continue
        if run:
            yield True, run
            run = []
        yield False, [tok]
    if run:
        yield True, run


def _greedy(codes: list[int], dictionary: Dictionary) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(codes):
        for index in dictionary.starting_with(codes[i]):
            entry = dictionary.entries[index]
            if tuple(codes[i : i + len(entry)]) == entry:
                out.append(ref(index))
                i += len(entry)
                break
        else:
            out.append(char(codes[i]))
            i += 1
    return out


def _optimal(codes: list[int], dictionary: Dictionary) -> list[Token]:
    n = len(codes)
    cost = [0] * (n + 1)
    choice: list[int | None] = [None] * n  # dictionary index, or None for the plain character
    for i in range(n - 1, -1, -1):
        best, pick, best_len = cost[i + 1] + 1, None, 1
        for index in dictionary.starting_with(codes[i]):
            entry = dictionary.entries[index]
            size = len(entry)
            if tuple(codes[i : i + size]) != entry:
                continue
            c = cost[i + size] + 1
            if c < best or (c == best and size > best_len):
                best, pick, best_len = c, index, size
        cost[i] = best
        choice[i] = pick
    out: list[Token] = []
    i = 0
    while i < n:
        pick = choice[i]
        if pick is None:
            out.append(char(codes[i]))
            i += 1
        else:
            out.append(ref(pick))
            i += len(dictionary.entries[pick])
    return out


def compress(tokens: Sequence[Token], dictionary: Dictionary | None, mode: Mode = "greedy") -> list[Token]:
    """Tokens with dictionary references chosen by `mode` (see the module docstring)."""
    if mode not in MODES:
        raise InputError(f"unknown compression mode {mode!r}; one of {', '.join(MODES)}")
    if mode == "keep":
        return list(tokens)
    if any(t.kind == "dict" for t in tokens):
        if dictionary is None:
            raise InputError("the text has [D:..] references but no dictionary was given to expand them")
        tokens = expand(tokens, dictionary)
    if mode == "none" or dictionary is None or not len(dictionary):
        return list(tokens)
    pack = _greedy if mode == "greedy" else _optimal
    out: list[Token] = []
    for is_chars, run in _runs(tokens):
        out.extend(pack([t.value for t in run], dictionary) if is_chars else run)
    return out


def encode(text: str, dictionary: Dictionary | None = None, mode: Mode = "greedy") -> bytes:
    """Readable text -> message bytes, $7F included."""
    return to_bytes(compress(parse(text), dictionary, mode))


def decode(data: bytes | bytearray, dictionary: Dictionary | None = None, newlines: bool = False) -> str:
    """Message bytes -> readable text; references are expanded when a dictionary is given,
    otherwise kept as `[D:HH]`. Bytes after the first $7F are refused."""
    tokens, end = from_bytes(data)
    if end != len(data):
        raise TextDecodeError(f"offset {end}: {len(data) - end} byte(s) after the end of the message")
    if dictionary is not None:
        tokens = expand(tokens, dictionary)
    return format_tokens(tokens, newlines=newlines)
