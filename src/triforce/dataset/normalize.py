"""Canonical forms of sample text and of assembly, so that copies that differ only cosmetically
compare equal.

Assembly is normalized the way asar reads it, not the way it looks: comments and layout go,
case folds, numbers become one notation (`$10`, `0x10`, `%00010000` and `16` are the same
operand), and local labels (`.loop`, `..inner`, `+`/`-` branches) and labels the block defines
itself are renamed by order of definition. Operand *width* is kept: asar sizes `$10` as a byte
and `$0010` as a word, which assemble to different instructions.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable

import numpy as np

from triforce.sample import Sample
from triforce.snes.asmsyntax import LABEL_PREFIX_RE, label_name, split_labels, split_statements, strip_comment
from triforce.snes.opcodes import JUMPS, RELATIVE

_WS = re.compile(r"\s+")
_FENCE = re.compile(r"```[ \t]*([\w.+#-]*)[^\n]*\n(.*?)```", re.DOTALL)
# Fence languages that hold 65816 assembly (an untagged fence counts when it looks like asm).
_ASM_LANGS = {"asm", "asar", "65816", "65c816", "s", "snes", "assembly", "wla", "nasm", "ca65", "x86asm"}
_MNEMONIC = re.compile(
    r"^\s*(?:[A-Za-z_][\w]*:\s*|\.+[A-Za-z_]\w*:?\s+|[+-]+\s+)?"
    r"(?:[a-z]{3}(?:\.[bwl])?\b|org\b|db\b|dw\b|dl\b|dd\b|incsrc\b|incbin\b|pushpc\b|pullpc\b|macro\b|endmacro\b|![\w]+\s*=|%[\w]+\()",
    re.IGNORECASE,
)


def normalize_text(text: str) -> str:
    """Unicode NFKC, case-folded, whitespace collapsed: the key of the exact-duplicate layer."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def sample_text(sample: Sample) -> str:
    """The whole conversation as one string, roles included (what a trainer sees)."""
    return "\n".join(f"{m.role}: {m.content}" for m in sample.messages)


def looks_like_asm(text: str) -> bool:
    """True when most non-empty, non-comment lines read as 65816/asar statements or labels."""
    lines = [strip_comment(ln).strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if len(lines) < 2:
        return False
    hits = sum(1 for ln in lines if _MNEMONIC.match(ln) or _only_labels(ln))
    return hits / len(lines) >= 0.6


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) for every fenced block; a fence-less text that reads as assembly (an
    evaluation reference is usually bare code) counts as one asm block."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    if not blocks and looks_like_asm(text):
        blocks = [("asm", text)]
    return blocks


def is_asm_block(lang: str, code: str) -> bool:
    return lang in _ASM_LANGS or (lang == "" and looks_like_asm(code))


# --- assembly ---------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?<![\w.!$%])(?:\$([0-9a-f]+)|0x([0-9a-f]+)|%([01]+)(?![\w(])|(\d+))(?![\w])", re.IGNORECASE
)
_LOCAL_REF = re.compile(r"(?<![\w\]\)])(\.+[A-Za-z_]\w*)")
_ANON_REF = re.compile(r"(?<=\s)([+-]+)(?=\s*$)")
_IDENT = re.compile(r"(?<![\w.!$%#])([A-Za-z_]\w*)(?![\w(])")
# Mnemonics whose operand is a code label (branches, BRL, PER, JMP/JML/JSR/JSL), from the opcode table.
_BRANCH = re.compile(
    r"^(" + "|".join(sorted((m.lower() for m in RELATIVE | JUMPS), key=len, reverse=True)) + r")(\.[bwl])?\b",
    re.IGNORECASE,
)


def _only_labels(line: str) -> bool:
    labels, rest = split_labels(line)
    return bool(labels) and not rest.strip()


def _leading_labels(text: str) -> tuple[list[str], str]:
    """Label definitions in front of a statement (the lexer's), as names: `Name`, `.loop`, `+`.
    `#Name:` markers and `?macro` labels stay part of the statement, as they always have here."""
    labels: list[str] = []
    while text and (m := LABEL_PREFIX_RE.match(text)) is not None and m.group("label")[0] not in "#?":
        labels.append(label_name(m.group("label")))
        text = text[m.end() :]
    return labels, text.strip()


def _canon_number(m: re.Match[str]) -> str:
    hexa, ox, binary, dec = m.groups()
    if hexa is not None:
        value, width = int(hexa, 16), (len(hexa) + 1) // 2
    elif ox is not None:
        value, width = int(ox, 16), (len(ox) + 1) // 2
    elif binary is not None:
        value, width = int(binary, 2), (len(binary) + 7) // 8
    else:
        value = int(dec)
        width = max(1, (value.bit_length() + 7) // 8)
    return "$" + format(value, "x").rjust(2 * width, "0")


_COMMA = re.compile(r"\s*,\s*")
_STRING = re.compile(r"(\"[^\"]*\"|'[^']*')")
_DIGIT = re.compile(r"\d")


def _canon_statement(stmt: str) -> str:
    stmt = " ".join(stmt.split())
    if "," in stmt:
        stmt = _COMMA.sub(",", stmt)
    # lower-case everything outside string literals
    if '"' in stmt or "'" in stmt:
        stmt = "".join(p if p[:1] in "\"'" else p.lower() for p in _STRING.split(stmt))
    else:
        stmt = stmt.lower()
    return _NUMBER.sub(_canon_number, stmt) if _DIGIT.search(stmt) else stmt


def normalize_asm(code: str) -> str:
    """Canonical text of an assembly block (see the module docstring)."""
    # pass 1: split into (label definitions, statement) per line
    lines: list[tuple[list[str], str]] = []
    pending: list[str] = []  # labels on a line of their own attach to the next statement
    statements = [part for raw in code.splitlines() for part in split_statements(strip_comment(raw))]
    for text in statements:
        found, text = _leading_labels(text)
        labels: list[str] = pending + found
        pending = []
        if text:
            lines.append((labels, text))
        else:
            pending = labels
    if pending:
        lines.append((pending, ""))

    # pass 2: name definitions canonically in order of appearance
    names: dict[tuple[str, str], str] = {}  # (scope, label) -> canonical
    globals_seen: dict[str, str] = {}
    anon_defs: list[tuple[int, str, str]] = []  # (line index, +/- label, canonical)
    scope = ""
    counter = 0
    for idx, (labels, _) in enumerate(lines):
        for lab in labels:
            counter += 1
            if lab[0] in "+-":
                anon_defs.append((idx, lab, f".l{counter}"))
            elif lab.startswith("."):
                names[(scope, lab.lower())] = f".l{counter}"
            else:
                scope = lab.lower()
                globals_seen.setdefault(scope, f"g{counter}")

    def resolve_anon(idx: int, lab: str) -> str:
        if lab[0] == "-":
            for d_idx, d_lab, canon in reversed(anon_defs):
                if d_idx <= idx and d_lab == lab:
                    return canon
        else:
            for d_idx, d_lab, canon in anon_defs:
                if d_idx > idx and d_lab == lab:
                    return canon
        return lab

    # pass 3: emit
    out: list[str] = []
    scope = ""
    for idx, (labels, text) in enumerate(lines):
        defs = []
        for lab in labels:
            if lab[0] in "+-":
                defs.append(next(c for i, lbl, c in anon_defs if i == idx and lbl == lab) + ":")
            elif lab.startswith("."):
                defs.append(names[(scope, lab.lower())] + ":")
            else:
                scope = lab.lower()
                defs.append(globals_seen[scope] + ":")
        stmt = _canon_statement(text) if text else ""
        if stmt:
            stmt = _rename_refs(stmt, scope, idx, names, globals_seen, resolve_anon)
        out.append(" ".join([*defs, stmt]).strip())
    return "\n".join(out)


def _rename_refs(
    stmt: str,
    scope: str,
    idx: int,
    names: dict[tuple[str, str], str],
    globals_seen: dict[str, str],
    resolve_anon: Callable[[int, str], str],
) -> str:
    def local(m: re.Match[str]) -> str:
        return names.get((scope, m.group(1).lower()), m.group(1))

    def glob(m: re.Match[str]) -> str:
        return globals_seen.get(m.group(1), m.group(1))

    def anon(m: re.Match[str]) -> str:
        return resolve_anon(idx, m.group(1))

    if "." in stmt:
        stmt = _LOCAL_REF.sub(local, stmt)
    if any(g in stmt for g in globals_seen):
        stmt = _IDENT.sub(glob, stmt)
    if stmt[-1] in "+-" and _BRANCH.match(stmt):
        stmt = _ANON_REF.sub(anon, stmt)
    return stmt


_C_LANGS = {"c", "cpp", "c++", "cc", "cxx", "h", "hpp", "hxx"}
_C_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def normalize_code(lang: str, code: str) -> str:
    """Assembly gets `normalize_asm`; C/C++ loses its comments; all other code gets whitespace
    and case folding."""
    if is_asm_block(lang, code):
        return normalize_asm(code)
    if lang in _C_LANGS:
        code = _C_COMMENT.sub("", code)
    return "\n".join(_WS.sub(" ", ln.strip()).lower() for ln in code.splitlines() if ln.strip())


def code_key(sample: Sample) -> str | None:
    """Normalized code of every block in the conversation, or None when it has no code.

    Prose is left out on purpose: two samples teaching the same routine with reworded
    instructions are duplicates for training purposes.
    """
    parts = []
    for m in sample.messages:
        for lang, code in code_blocks(m.content):
            norm = normalize_code(lang, code)
            if norm:
                parts.append(f"{m.role}|{norm}")
    return "\n--\n".join(parts) if parts else None


def statement_count(norm_code: str) -> int:
    """How many lines of a normalized block carry an instruction or directive (not only a label)."""
    return sum(1 for ln in norm_code.splitlines() if ln and not ln.endswith(":"))


# --- shingles -----------------------------------------------------------------------------------

WORD = re.compile(r"[\w$#%!.]+")  # a word token of already-normalized text


def words(text: str) -> list[str]:
    """Word tokens of normalized text; `$7ef360`, `#$01` and `lda.w` stay single tokens."""
    return WORD.findall(normalize_text(text))


_MIX = np.uint64(0x9E3779B97F4A7C15)


class _TokenHashes(dict[str, int]):
    """crc32 of a token, memoized: vocabularies repeat, so most lookups are dict hits."""

    limit = 300_000

    def __missing__(self, token: str) -> int:
        h = zlib.crc32(token.encode("utf-8"))
        if len(self) < self.limit:
            self[token] = h
        return h


_TOKEN_HASH = _TokenHashes()


def shingle_hashes(tokens: list[str], n: int) -> np.ndarray:
    """Distinct 32-bit hashes of the n-word shingles (one shingle of all tokens when fewer).

    Each token is hashed once (crc32); a shingle's hash mixes its tokens' hashes by position
    with numpy, so no shingle string is ever built.
    """
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    h = np.array(list(map(_TOKEN_HASH.__getitem__, tokens)), dtype=np.uint64)
    n = min(n, len(h))
    acc = np.zeros(len(h) - n + 1, dtype=np.uint64)
    for k in range(n):  # uint64 array arithmetic wraps silently (mod 2^64), as intended
        acc = (acc ^ h[k : len(h) - n + 1 + k]) * _MIX
    return np.unique(acc >> np.uint64(32))


def gram_keys(tokens: list[str], n: int) -> set[int]:
    """64-bit keys of the n-word shingles, for exact overlap tests (32-bit crc collides too often
    when tens of thousands of samples meet tens of thousands of evaluation n-grams)."""
    return {hash(" ".join(tokens[i : i + n])) for i in range(len(tokens) - n + 1)}


def stable_hash(parts: Iterable[str]) -> str:
    """A short stable digest of strings (for keys that must survive a process restart)."""
    import hashlib

    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()
