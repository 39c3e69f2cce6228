"""Meaning-preserving rewrites of one function, and locating a line of it, on the syntax tree.

`modernise` applies C++ idioms that do not change what the code does:
- `(T)x` for a primitive type T -> `static_cast<T>(x)` ("c-cast");
- `NULL` -> `nullptr` ("nullptr");
- `i++` / `i--` whose value is unused (a statement or a for-loop step) -> `++i` / `--i` ("prefix");
- `x = x OP y` -> `x OP= y` for a plain variable x ("compound").
`antiquate` is its inverse for the same four rules (used to make "modernise this" questions
whose answer is a tree's real code); `modernise(antiquate(f)) == f` holds for every rule applied.
`locate` finds the lines of a function that hold a syntax node (an expression, a call, a string
or comment containing a text): the ground truth of find-the-bug items.
"""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from triforce.cpp.parse import parser

_COMPOUND = ("+", "-", "*", "/", "%", "|", "&", "^", "<<", ">>")


def _tree(text: str) -> tuple[bytes, Node]:
    src = text.encode("utf-8")
    return src, parser().parse(src).root_node


def _walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _t(src: bytes, n: Node) -> str:
    return src[n.start_byte : n.end_byte].decode("utf-8", errors="replace")


def _apply(src: bytes, edits: list[tuple[int, int, str]]) -> str:
    out = src
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new.encode("utf-8") + out[end:]
    return out.decode("utf-8", errors="replace")


def _value_unused(n: Node) -> bool:
    parent = n.parent
    if parent is None:
        return False
    if parent.type == "expression_statement":
        return True
    if parent.type == "for_statement":
        update = parent.child_by_field_name("update")
        return update is not None and update.id == n.id
    return bool(
        parent.type == "comma_expression"
        and parent.parent is not None
        and parent.parent.type == "for_statement"
    )


def _is_plain_variable(n: Node | None) -> bool:
    return n is not None and n.type == "identifier"


def _primitive(type_text: str) -> bool:
    words = type_text.replace("const", "").split()
    names = {"int", "unsigned", "signed", "char", "short", "long", "float", "double", "bool"}
    return bool(words) and (
        all(w in names for w in words) or (len(words) == 1 and words[0].removeprefix("std::") in _FIXED)
    )


_FIXED = {f"{s}int{b}_t" for s in ("", "u") for b in (8, 16, 32, 64)} | {"size_t", "ptrdiff_t"}


def _ops(text: str, forward: bool) -> tuple[str, list[tuple[int, int, str]], list[str]]:
    src, root = _tree(text)
    edits: list[tuple[int, int, str]] = []
    rules: list[str] = []
    taken: list[tuple[int, int]] = []

    def add(n: Node, new: str, rule: str) -> None:
        if any(not (n.end_byte <= a or n.start_byte >= b) for a, b in taken):
            return  # nested inside an edit already made: one rule per region
        taken.append((n.start_byte, n.end_byte))
        edits.append((n.start_byte, n.end_byte, new))
        rules.append(rule)

    for n in _walk(root):
        if n.has_error:
            continue
        if forward:
            if n.type == "cast_expression":
                ty, val = n.child_by_field_name("type"), n.child_by_field_name("value")
                if ty is not None and val is not None and _primitive(_t(src, ty)):
                    inner = _t(src, val)
                    if val.type == "parenthesized_expression":
                        inner = inner[1:-1]
                    add(n, f"static_cast<{_t(src, ty)}>({inner})", "c-cast")
            elif (n.type == "null" and _t(src, n) == "NULL") or (
                n.type == "identifier" and _t(src, n) == "NULL"
            ):
                add(n, "nullptr", "nullptr")
            elif n.type == "update_expression" and _value_unused(n):
                arg = n.child_by_field_name("argument")
                op = n.child_by_field_name("operator")
                if arg is not None and op is not None and op.start_byte > arg.start_byte:
                    add(n, f"{_t(src, op)}{_t(src, arg)}", "prefix")
            elif n.type == "assignment_expression" and _value_unused(n):
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                op = n.child_by_field_name("operator")
                if (
                    _is_plain_variable(left)
                    and op is not None
                    and _t(src, op) == "="
                    and right is not None
                    and right.type == "binary_expression"
                ):
                    rl, rop, rr = (right.child_by_field_name(k) for k in ("left", "operator", "right"))
                    if (
                        rl is not None
                        and rop is not None
                        and rr is not None
                        and _t(src, rop) in _COMPOUND
                        and _t(src, rl) == _t(src, left)  # type: ignore[arg-type]
                        and rr.type in ("identifier", "number_literal", "call_expression", "field_expression")
                    ):
                        add(n, f"{_t(src, left)} {_t(src, rop)}= {_t(src, rr)}", "compound")  # type: ignore[arg-type]
        else:
            if n.type == "call_expression":
                fn = n.child_by_field_name("function")
                args = n.child_by_field_name("arguments")
                if fn is not None and fn.type == "template_function" and args is not None:
                    name = fn.child_by_field_name("name")
                    targs = fn.child_by_field_name("arguments")
                    if (
                        name is not None
                        and targs is not None
                        and _t(src, name) == "static_cast"
                        and len(targs.named_children) == 1
                        and _primitive(_t(src, targs.named_children[0]))
                        and len(args.named_children) == 1
                    ):
                        cast_type = _t(src, targs.named_children[0])
                        add(n, f"({cast_type})({_t(src, args.named_children[0])})", "c-cast")
            elif n.type == "null" and _t(src, n) == "nullptr":
                add(n, "NULL", "nullptr")
            elif n.type == "update_expression" and _value_unused(n):
                arg = n.child_by_field_name("argument")
                op = n.child_by_field_name("operator")
                if arg is not None and op is not None and op.start_byte < arg.start_byte:
                    add(n, f"{_t(src, arg)}{_t(src, op)}", "prefix")
            elif n.type == "assignment_expression" and _value_unused(n):
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                op = n.child_by_field_name("operator")
                if _is_plain_variable(left) and op is not None and right is not None:
                    o = _t(src, op)
                    if (
                        o.endswith("=")
                        and o[:-1] in _COMPOUND
                        and right.type
                        in (
                            "identifier",
                            "number_literal",
                            "call_expression",
                            "field_expression",
                        )
                    ):
                        lt = _t(src, left)  # type: ignore[arg-type]
                        add(n, f"{lt} = {lt} {o[:-1]} {_t(src, right)}", "compound")
    return _apply(src, edits), edits, rules


def modernise(text: str) -> tuple[str, list[str]]:
    """(rewritten text, rule per edit)."""
    new, _, rules = _ops(text, True)
    return new, rules


def antiquate(text: str) -> tuple[str, list[str]]:
    """The inverse rewrite: what `modernise` turns back into `text` (rules it applied)."""
    new, _, rules = _ops(text, False)
    return new, rules


def locate(text: str, locator: dict[str, str]) -> list[int]:
    """1-based lines of `text` holding what the locator names:
    `{"node": "addr>offset"}` (a node whose text without whitespace is this),
    `{"string": "Invalid header"}` (a string literal containing it),
    `{"comment": "0x4F80 (low bytes)"}` (a comment containing it),
    `{"declares": "kNumMessages"}` (a declaration of that name)."""
    src, root = _tree(text)
    lines: list[int] = []
    kind, value = next(iter(locator.items()))
    squeezed = "".join(value.split())
    for n in _walk(root):
        hit = False
        if kind == "node":
            hit = n.is_named and "".join(_t(src, n).split()) == squeezed
        elif kind == "string":
            hit = n.type in ("string_literal", "raw_string_literal") and value in _t(src, n)
        elif kind == "comment":
            if n.type == "comment" and value in _t(src, n):
                body = _t(src, n)
                offset = body.index(value)
                lines.append(n.start_point.row + 1 + body[:offset].count("\n"))
            continue
        elif kind == "declares" and n.type in ("init_declarator",):
            name = n.child_by_field_name("declarator")
            hit = name is not None and _t(src, name) == value
            if hit and n.parent is not None:
                n = n.parent
        if hit:
            lines.append(n.start_point.row + 1)
    return sorted(set(lines))


#: One typical slip per mutant: an operator swapped for its neighbour, a constant off by one.
_OPERATOR_SWAPS = {
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "!=",
    "!=": "==",
    "+": "-",
    "-": "+",
    "<<": ">>",
    ">>": "<<",
    "&": "|",
    "|": "&",
    "^": "|",
    "&&": "||",
    "||": "&&",
}


def mutants(text: str) -> list[tuple[str, str, str]]:
    """(operator, description, mutated text) for each binary operator swapped, each numeric
    literal off by one and each called name misspelt (a hallucinated API), in source order."""
    src, root = _tree(text)
    out: list[tuple[str, str, str]] = []
    for n in _walk(root):
        if n.type == "binary_expression":
            op = n.child_by_field_name("operator")
            if op is not None and _t(src, op) in _OPERATOR_SWAPS:
                new = _OPERATOR_SWAPS[_t(src, op)]
                line = op.start_point.row + 1
                out.append(
                    (
                        "swap-operator",
                        f"line {line}: {_t(src, op)} -> {new}",
                        _apply(src, [(op.start_byte, op.end_byte, new)]),
                    )
                )
        elif n.type == "number_literal":
            lit = _t(src, n)
            body = lit.rstrip("uUlL")
            try:
                value = (
                    int(body, 0)
                    if not body.startswith("0") or body.lower().startswith("0x") or body == "0"
                    else None
                )
            except ValueError:
                value = None
            if value is None:
                continue
            new = f"0x{value + 1:X}" if body.lower().startswith("0x") else str(value + 1)
            line = n.start_point.row + 1
            out.append(
                (
                    "off-by-one",
                    f"line {line}: {lit} -> {new}",
                    _apply(src, [(n.start_byte, n.end_byte, new + lit[len(body) :])]),
                )
            )
        elif n.type == "call_expression":
            callee = n.child_by_field_name("function")
            if callee is not None and callee.type == "field_expression":
                callee = callee.child_by_field_name("field")
            if callee is not None and callee.type in ("identifier", "field_identifier"):
                name = _t(src, callee)
                wrong = name.replace("_", "") if "_" in name else name + "s"
                line = callee.start_point.row + 1
                out.append(
                    (
                        "wrong-name",
                        f"line {line}: {name} -> {wrong}",
                        _apply(src, [(callee.start_byte, callee.end_byte, wrong)]),
                    )
                )
    return out
