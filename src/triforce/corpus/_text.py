"""Lexical helpers for asar source: define substitution, expressions, conditionals.

asar is line-based: `;` starts a comment outside quotes, ` : ` separates statements on one line
(both read by `triforce.snes.asmsyntax`, re-exported here), and `!name` / `!{name}` are textual
defines substituted before a line is read. Expressions are
evaluated only as far as this reader needs (addresses, sizes, `if` conditions); anything it
cannot evaluate yields None instead of a guess.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping

from triforce.snes.asmsyntax import split_comment, split_statements

_DEFINE_RE = re.compile(r"!\{([A-Za-z0-9_]+)\}|!([A-Za-z_][A-Za-z0-9_]*)")
_HEX_RE = re.compile(r"\$([0-9A-Fa-f]+)")
_BIN_RE = re.compile(r"%([01]+)\b")
_CHAR_RE = re.compile(r"'(.)'")
_LEADING_ZEROS_RE = re.compile(r"(?<![\w.])0+(?=\d)")
_NAME_RE = re.compile(r"(?<![0-9A-Za-z_.])([A-Za-z_.][A-Za-z0-9_.]*)")


# Comments and statement separators are read by the one asar lexer (triforce.snes.asmsyntax).
__all__ = ["split_comment", "split_statements"]


def substitute_defines(text: str, lookup: Callable[[str], str | None], depth: int = 8) -> str:
    """Replace `!name` and `!{name}` by their values, recursively; unknown names stay as written."""
    for _ in range(depth):
        if "!" not in text:
            return text
        changed = False

        def repl(match: re.Match[str]) -> str:
            nonlocal changed
            name = match.group(1) or match.group(2)
            value = lookup(name)
            if value is None:
                return match.group(0)
            changed = True
            return value

        new = _DEFINE_RE.sub(repl, text)
        if not changed:
            return new
        text = new
    return text


def define_names(text: str) -> set[str]:
    """Names of the defines a text uses."""
    return {m.group(1) or m.group(2) for m in _DEFINE_RE.finditer(text)}


def literal_size(text: str) -> int | None:
    """Operand bytes asar gives a plain literal by how it is written ($12 -> 1, $1234 -> 2...)."""
    t = text.strip()
    if t.startswith("$"):
        digits = t[1:]
        if digits and all(c in "0123456789abcdefABCDEF" for c in digits):
            return min(3, (len(digits) + 1) // 2)
        return None
    if t.startswith("%"):
        bits = t[1:]
        if bits and set(bits) <= {"0", "1"}:
            return min(3, (len(bits) + 7) // 8)
        return None
    if t.isdigit():
        value = int(t)
        return 1 if value < 0x100 else 2 if value < 0x10000 else 3
    if len(t) == 3 and t[0] == t[2] == "'":
        return 1
    return None


_ALLOWED_BINOPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b if b else 0,
    ast.Mod: lambda a, b: a % b if b else 0,
    ast.LShift: lambda a, b: a << b if 0 <= b < 64 else 0,
    ast.RShift: lambda a, b: a >> b if 0 <= b < 64 else 0,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b,
}
_ALLOWED_CMP: dict[type, Callable[[int, int], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


class _Unknown(Exception):
    pass


def evaluate(text: str, names: Mapping[str, int]) -> int | None:
    """Evaluate an asar numeric expression (labels looked up in `names`); None when unknown."""
    t = text.strip()
    if not t or len(t) > 200 or "!" in t.replace("!=", ""):
        return None
    if t.startswith("$") and all(c in "0123456789abcdefABCDEF" for c in t[1:]) and len(t) > 1:
        return int(t[1:], 16)
    t = _HEX_RE.sub(lambda m: str(int(m.group(1), 16)), t)
    t = _BIN_RE.sub(lambda m: str(int(m.group(1), 2)), t)
    t = _CHAR_RE.sub(lambda m: str(ord(m.group(1))), t)
    t = _LEADING_ZEROS_RE.sub("", t)  # asar reads `05` as 5; Python refuses leading zeros
    t = t.replace("&&", " and ").replace("||", " or ").replace("/", "//")
    t = _NAME_RE.sub(_name_ref, t)
    try:
        tree = ast.parse(t, mode="eval")
        return int(_eval(tree.body, names))
    except (SyntaxError, _Unknown, ValueError, RecursionError, MemoryError):
        return None


def _name_ref(match: re.Match[str]) -> str:
    name = match.group(1)
    return name if name in ("and", "or") else "_n[" + repr(name) + "]"


def _eval(node: ast.AST, names: Mapping[str, int]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        key = node.slice.value
        if isinstance(key, str) and key in names:
            return names[key]
        raise _Unknown
    if isinstance(node, ast.BinOp) and type(node.op) in _ALLOWED_BINOPS:
        return _ALLOWED_BINOPS[type(node.op)](_eval(node.left, names), _eval(node.right, names))
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, names)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.Invert):
            return ~v
        if isinstance(node.op, ast.Not):
            return int(not v)
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, names) for v in node.values]
        return int(all(values)) if isinstance(node.op, ast.And) else int(any(values))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _ALLOWED_CMP:
        return int(
            _ALLOWED_CMP[type(node.ops[0])](_eval(node.left, names), _eval(node.comparators[0], names))
        )
    raise _Unknown


_COND_RE = re.compile(r"^\s*(if|elseif|else|endif|while|endwhile)\b", re.IGNORECASE)


def balance_conditionals(text: str) -> str:
    """Close `if`/`while` blocks a cut-out routine leaves open, and open the ones it closes
    (a routine that starts inside an `if` or an `else` branch), so the text assembles on its
    own. The added conditions always select the routine's own lines."""
    stack: list[str] = []  # open blocks: "if" or "while"
    openers: list[str] = []  # conditions to prepend, innermost first
    for line in text.splitlines():
        match = _COND_RE.match(split_comment(line)[0])
        if not match:
            continue
        word = match.group(1).lower()
        if word in ("if", "while"):
            stack.append(word)
        elif word in ("endif", "endwhile"):
            if stack:
                stack.pop()
            elif word == "endif":
                openers.append("if 1")
        elif not stack:  # else/elseif of an `if` that opened before the routine
            openers.append("if 0")
            stack.append("if")
    if not stack and not openers:
        return text
    prefix = "".join(f"{o}\n" for o in reversed(openers))
    suffix = "".join(f"\nend{kind}" for kind in reversed(stack))
    return prefix + text.rstrip("\n") + suffix + "\n"
