"""Assembly out of a model's (or a sample's) prose answer, whatever shape it came in.

Models fence code as ```asm, ```65816, ``` or not at all, write several blocks (a wrong first try,
then a fix; a usage example; a table), and think aloud in `<think>` sections. Keyword graders
said "no code found" for half of these. Here: thinking is stripped, every block is collected,
and the block that *defines the entry label* is chosen; blocks defining labels it uses are added.
The evaluation grades what `extract_asm` returns, and `dataset verify` proves the same extraction
of a sample's assistant message, so a grade and a training sample read an answer one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triforce.snes.asmsyntax import defined_labels, split_labels, strip_comment
from triforce.snes.opcodes import MNEMONICS

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_STRAY_CLOSE = re.compile(r"^.*?</(think|thinking|reasoning)>", re.DOTALL | re.IGNORECASE)
FENCE = re.compile(
    r"^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE
)
_NON_ASM_LANGS = frozenset(
    {"json", "python", "py", "yaml", "yml", "c", "cpp", "text", "txt", "markdown", "md", "bash", "sh"}
)
_WORD = re.compile(r"[A-Za-z_][\w]*")
_DIRECTIVES = frozenset(
    [
        "org",
        "db",
        "dw",
        "dl",
        "dd",
        "base",
        "pushpc",
        "pullpc",
        "incsrc",
        "incbin",
        "macro",
        "endmacro",
        "if",
        "else",
        "elseif",
        "endif",
        "while",
        "endwhile",
        "namespace",
        "assert",
        "warnpc",
        "print",
        "fill",
        "fillbyte",
        "padbyte",
        "pad",
        "skip",
        "lorom",
        "hirom",
        "bank",
        "arch",
        "table",
        "cleartable",
        "freecode",
        "freespace",
        "autoclean",
    ]
)


def strip_thinking(text: str) -> str:
    """Remove `<think>...</think>` sections (an unclosed one runs to the end of the answer)."""
    text = _THINK.sub("", text)
    # A template may put the opening tag in the prompt, leaving only the closing one in the answer.
    if re.search(r"</(think|thinking|reasoning)>", text, re.IGNORECASE):
        text = _STRAY_CLOSE.sub("", text, count=1)
    return text.strip()


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str
    fenced: bool

    def defines(self) -> set[str]:
        return defined_labels(self.code)


def code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced block; the whole answer as one bare block when nothing is fenced."""
    text = strip_thinking(text)
    blocks = [CodeBlock(m.group(2).lower(), m.group(3), True) for m in FENCE.finditer(text)]
    if blocks:
        return blocks
    return [CodeBlock("", _bare_code(text), False)] if text else []


def asm_blocks(text: str) -> list[CodeBlock]:
    """The blocks of `code_blocks` that may hold assembly (not tagged json, python, yaml, ...)."""
    return [b for b in code_blocks(text) if b.language not in _NON_ASM_LANGS]


def _looks_like_asm(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith((";", "!", "+", "-", ".", "#", "}", "{", "%")):
        return True
    if split_labels(stripped)[0]:
        return True
    word = stripped.split()[0].split(".")[0].rstrip(":")
    return word.upper() in MNEMONICS or word.lower() in _DIRECTIVES


def _bare_code(text: str) -> str:
    """From an unfenced answer keep the lines that read as assembly (prose around it is dropped)."""
    return "\n".join(line for line in text.splitlines() if _looks_like_asm(line))


def extract_asm(text: str, entry: str) -> tuple[str | None, str]:
    """The assembly defining `entry`, plus a note on how it was chosen (or why nothing was).

    Several blocks defining the entry: the last one wins (models revise). Other blocks that
    define labels the chosen block references are appended, so a helper in its own block works.
    """
    blocks = asm_blocks(text)
    if not blocks:
        return None, "no code in the answer"
    with_entry = [b for b in blocks if entry in b.defines()]
    if not with_entry:
        return None, f"entry label '{entry}' is not defined in any of {len(blocks)} code block(s)"
    chosen = with_entry[-1]
    defined = chosen.defines()
    used = set(_WORD.findall("\n".join(strip_comment(line) for line in chosen.code.splitlines())))
    extra = [
        b.code
        for b in blocks
        if b is not chosen
        and b not in with_entry
        and (b.defines() - defined) & used
        and not (b.defines() & defined)
    ]
    note = f"block {blocks.index(chosen) + 1} of {len(blocks)}" + (
        f" plus {len(extra)} helper block(s)" if extra else ""
    )
    return "\n".join([chosen.code, *extra]), note
