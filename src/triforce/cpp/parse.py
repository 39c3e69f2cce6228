"""C++ source -> function definitions with exact extents, from tree-sitter's C++ grammar.

No regexes over code: every extent, name, parameter, call and literal comes from the syntax tree,
so nested parentheses, braces inside strings or comments, templates and lambdas cannot confuse
it. What the grammar cannot read (a macro it cannot expand, mostly) is reported as a
`ParseProblem` with its line, never silently dropped.
"""

from __future__ import annotations

from functools import cache

import tree_sitter_cpp
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from triforce.cpp.model import CppFunction, Include, Parameter, ParsedFile, ParseProblem

_SCOPES = {"namespace_definition", "class_specifier", "struct_specifier", "union_specifier"}
_CASTS = {"static_cast", "reinterpret_cast", "const_cast", "dynamic_cast", "bit_cast", "std::bit_cast"}
_WRAPPERS = {"pointer_declarator", "reference_declarator", "attributed_declarator"}


@cache
def language() -> Language:
    return Language(tree_sitter_cpp.language())


@cache
def _queries() -> dict[str, Query]:
    lang = language()
    return {
        "functions": Query(lang, "(function_definition body: (compound_statement)) @f"),
        "errors": Query(lang, "(ERROR) @e"),
        "calls": Query(lang, "(call_expression function: (_) @callee)"),
        "numbers": Query(lang, "(number_literal) @n"),
        "identifiers": Query(lang, "[(identifier) (qualified_identifier)] @i"),
        "includes": Query(lang, "(preproc_include path: (_) @p)"),
    }


def parser() -> Parser:
    return Parser(language())


def _text(src: bytes, node: Node) -> str:
    return src[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _captures(name: str, node: Node) -> list[Node]:
    found = QueryCursor(_queries()[name]).captures(node)
    nodes = [n for group in found.values() for n in group]
    return sorted(nodes, key=lambda n: n.start_byte)


_NAMES = {
    "identifier",
    "field_identifier",
    "qualified_identifier",
    "destructor_name",
    "operator_name",
    "template_function",
    "operator_cast",
}


def _function_declarator(node: Node) -> Node | None:
    """The function_declarator that names the function, through `*`/`&` wrappers and the
    parentheses of a function returning a function pointer (`int (*Pick(int n))(int)`)."""
    decl = node.child_by_field_name("declarator")
    found: Node | None = None
    while decl is not None:
        if decl.type == "function_declarator":
            found = decl
            inner = decl.child_by_field_name("declarator")
            if inner is not None and inner.type in _NAMES:
                return decl
            decl = inner
        elif decl.type in _WRAPPERS or decl.type == "parenthesized_declarator":
            inner = decl.child_by_field_name("declarator")
            if inner is None:
                inner = next((c for c in decl.named_children if c.type.endswith("declarator")), None)
            decl = inner
        else:
            break
    return (
        found
        if found is not None
        and found.child_by_field_name("declarator") is not None
        and (
            found.child_by_field_name("declarator").type in _NAMES  # type: ignore[union-attr]
        )
        else None
    )


def _ptr_prefix(src: bytes, node: Node) -> str:
    """The `*`/`&`/`&&` between a return type and the function name (`const Foo& Get()`)."""
    out = ""
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type in _WRAPPERS:
        for child in decl.children:
            if child.type in ("*", "&", "&&"):
                out += child.type
            elif child.type == "type_qualifier":
                out += " " + _text(src, child) + " "
        decl = decl.child_by_field_name("declarator")
    return out.strip()


def _name_parts(src: bytes, declarator: Node) -> tuple[str, list[str]]:
    """(name, qualifiers) of a function declarator's name: `Foo::Bar` -> ("Bar", ["Foo"])."""
    name_node = declarator.child_by_field_name("declarator")
    if name_node is None:
        return "", []
    scopes: list[str] = []
    while name_node.type == "qualified_identifier":
        scope = name_node.child_by_field_name("scope")
        if scope is not None:
            scopes.append(_text(src, scope))
        inner = name_node.child_by_field_name("name")
        if inner is None:
            break
        name_node = inner
    if name_node.type == "template_function":
        inner = name_node.child_by_field_name("name")
        name_node = inner if inner is not None else name_node
    return _text(src, name_node), scopes


def _parameters(src: bytes, declarator: Node) -> tuple[Parameter, ...]:
    plist = declarator.child_by_field_name("parameters")
    if plist is None:
        return ()
    out: list[Parameter] = []
    for p in plist.named_children:
        if p.type == "comment":
            continue
        if p.type == "variadic_parameter":
            out.append(Parameter("...", ""))
            continue
        type_node = p.child_by_field_name("type")
        decl = p.child_by_field_name("declarator")
        default = p.child_by_field_name("default_value")
        prefix = " ".join(
            _text(src, c) for c in p.children if c.type in ("type_qualifier", "storage_class_specifier")
        )
        type_text = _text(src, type_node) if type_node is not None else ""
        if prefix and (type_node is None or p.children[0].start_byte < type_node.start_byte):
            type_text = f"{prefix} {type_text}"
        name = ""
        if decl is not None:
            # peel `*`, `&`, arrays and function pointers down to the identifier
            stack = [decl]
            while stack:
                n = stack.pop()
                if n.type in ("identifier", "field_identifier"):
                    name = _text(src, n)
                    break
                stack.extend(reversed(n.named_children))
            rest = _text(src, decl)
            rest = rest.replace(name, "", 1).strip() if name else rest.strip()
            type_text = type_text + rest if rest[:1] in ("*", "&") else f"{type_text} {rest}".strip()
        elif p.type == "variadic_parameter_declaration":
            type_text += "..."
        out.append(Parameter(" ".join(type_text.split()), name, _text(src, default) if default else None))
    if len(out) == 1 and out[0].type == "void" and not out[0].name:
        return ()
    return tuple(out)


def _scope_chain(node: Node, src: bytes) -> tuple[list[str], list[str], bool]:
    """Enclosing namespaces and classes (outermost first), and whether the definition sits
    inside a class body."""
    namespaces: list[str] = []
    classes: list[str] = []
    in_class = False
    parent = node.parent
    first = True
    while parent is not None:
        if parent.type == "namespace_definition":
            name = parent.child_by_field_name("name")
            namespaces.insert(0, _text(src, name) if name is not None else "(anonymous)")
        elif parent.type in _SCOPES:
            name = parent.child_by_field_name("name")
            classes.insert(0, _text(src, name) if name is not None else "(anonymous)")
            in_class = in_class or first
            first = False
        elif parent.type == "function_definition":
            first = False  # a local class: the enclosing function is not a scope of ours
        parent = parent.parent
    return namespaces, classes, in_class


def _doc(src: bytes, outer: Node) -> tuple[str, int]:
    """The comment block right above `outer` (a blank line ends it) and its start byte."""
    comments: list[Node] = []
    line = outer.start_point.row
    prev = outer.prev_sibling
    while prev is not None and prev.type == "comment" and prev.end_point.row >= line - 1:
        if prev.end_point.row == line and prev.start_point.row == line:
            break  # a trailing comment of the previous statement on the same line
        comments.insert(0, prev)
        line = prev.start_point.row
        prev = prev.prev_sibling
    if not comments:
        return "", outer.start_byte
    if prev is not None and prev.end_point.row == comments[0].start_point.row:
        comments.pop(0)  # `int x;  // note` belongs to x
        if not comments:
            return "", outer.start_byte
    return "\n".join(_text(src, c) for c in comments), comments[0].start_byte


def _count_errors(node: Node) -> int:
    if not node.has_error:
        return 0
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            count += 1
        elif n.has_error:
            stack.extend(n.children)
    return count


def _int_value(literal: str) -> int | None:
    t = literal.replace("'", "").rstrip("uUlLzZ")
    try:
        return (
            int(t, 0)
            if not t.startswith("0") or t.lower().startswith(("0x", "0b")) or t == "0"
            else int(t, 8)
        )
    except ValueError:
        return None


def _is_mask(value: int) -> bool:
    """0xFFFF, 0x7FFF, 0xFF00, 0xF0F0 (hex digits only 0/F, or 2^n-1) and single bits (0x8000)."""
    return (value & (value + 1)) == 0 or set(f"{value:x}") <= {"0", "f"} or (value & (value - 1)) == 0


def _body_facts(
    src: bytes, body: Node
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    found: list[tuple[int, str]] = []
    for callee in _captures("calls", body):
        name_node = callee
        if callee.type == "field_expression":
            field_node = callee.child_by_field_name("field")
            name_node = field_node if field_node is not None else callee
        if name_node.type == "template_function" or name_node.type == "template_method":
            inner = name_node.child_by_field_name("name")
            name_node = inner if inner is not None else name_node
        if name_node.type not in (
            "identifier",
            "qualified_identifier",
            "field_identifier",
            "template_function",
            "destructor_name",
        ):
            continue  # a call through an expression: (*fn)(x), table[i](x), a lambda
        text = "".join(_text(src, name_node).split())
        if text in _CASTS:
            continue
        if name_node.type == "qualified_identifier" and "<" in text:
            text = _strip_template_args(text)
        found.append((name_node.start_byte, text))
    # ordered by where the called name is written (`a.F().G()`: F, then G), which does not
    # depend on the order the query returns nested calls in
    calls: dict[str, None] = {}
    for _, text in sorted(found):
        calls.setdefault(text, None)
    literals: dict[str, None] = {}
    addresses: dict[int, None] = {}
    for n in _captures("numbers", body):
        lit = _text(src, n)
        literals.setdefault(lit, None)
        if lit.lower().startswith("0x"):
            value = _int_value(lit)
            if value is not None and value >= 0x1000 and not _is_mask(value):
                addresses.setdefault(value, None)
    constants: dict[str, None] = {}
    for n in _captures("identifiers", body):
        if (
            n.type == "qualified_identifier"
            and n.parent is not None
            and n.parent.type == "qualified_identifier"
        ):
            continue
        name = _text(src, n).split("::")[-1]
        if len(name) > 1 and name[0] == "k" and name[1].isupper():
            constants.setdefault("".join(_text(src, n).split()), None)
    return tuple(calls), tuple(literals), tuple(constants), tuple(addresses)


def _strip_template_args(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _function(src: bytes, node: Node, path: str) -> CppFunction | None:
    declarator = _function_declarator(node)
    body = node.child_by_field_name("body")
    if declarator is None or body is None:
        return None
    name, qualifiers = _name_parts(src, declarator)
    if not name:
        return None
    outer = node
    is_template = False
    while outer.parent is not None and outer.parent.type == "template_declaration":
        outer = outer.parent
        is_template = True
    namespaces, classes, in_class = _scope_chain(outer, src)
    qualifier_text = "::".join(qualifiers)
    scope = [*namespaces, *classes, *([qualifier_text] if qualifier_text else [])]
    class_name = qualifiers[-1].split("::")[-1] if qualifiers else (classes[-1] if in_class else "")
    if "<" in class_name:
        class_name = _strip_template_args(class_name)
    type_node = node.child_by_field_name("type")
    return_type = ""
    if type_node is not None:
        specifiers = [
            _text(src, c)
            for c in node.children
            if c.type in ("type_qualifier",) and c.start_byte < type_node.start_byte
        ]
        return_type = " ".join([*specifiers, _text(src, type_node)]) + _ptr_prefix(src, node)
        trailing = next((c for c in declarator.children if c.type == "trailing_return_type"), None)
        if trailing is not None and return_type == "auto":
            return_type = _text(src, trailing).lstrip("-> ").strip()
        return_type = " ".join(return_type.split())
    doc, doc_start = _doc(src, outer)
    calls, literals, constants, addresses = _body_facts(src, body)
    signature = src[outer.start_byte : declarator.end_byte].decode("utf-8", errors="replace")
    start_line = outer.start_point.row + 1
    return CppFunction(
        name=name,
        qualified_name="::".join([*scope, name]),
        namespace="::".join(namespaces),
        class_name=class_name,
        signature=signature.strip(),
        return_type=return_type,
        parameters=_parameters(src, declarator),
        doc=doc,
        text=_text(src, outer),
        body=_text(src, body),
        file=path,
        start_byte=outer.start_byte,
        end_byte=node.end_byte,
        doc_start_byte=doc_start,
        line_start=start_line,
        line_end=node.end_point.row + 1,
        calls=calls,
        literals=literals,
        named_constants=constants,
        addresses=addresses,
        is_template=is_template,
        inline_in_class=in_class,
        errors_inside=_count_errors(node),
    )


def parse_source(source: bytes | str, path: str = "<source>") -> ParsedFile:
    """Every function definition (with a body) in one source file, its includes, and the text
    the grammar could not read."""
    src = source.encode("utf-8") if isinstance(source, str) else source
    tree = parser().parse(src)
    root = tree.root_node
    out = ParsedFile(path=path, lines=src.count(b"\n") + (0 if src.endswith(b"\n") or not src else 1))
    for p in _captures("includes", root):
        target = _text(src, p)
        out.includes.append(Include(target.strip('"<>'), target.startswith("<"), p.start_point.row + 1))
    for node in _captures("functions", root):
        fn = _function(src, node, path)
        if fn is not None:
            out.functions.append(fn)
    for err in _captures("errors", root):
        if err.parent is not None and err.parent.has_error and _inside_error(err):
            continue  # report the outermost ERROR only
        snippet = _text(src, err).strip().split("\n", 1)[0][:80]
        out.problems.append(ParseProblem(path, err.start_point.row + 1, _why(src, err), snippet))
    if root.has_error and not out.problems:
        missing = _first_missing(root)
        if missing is not None:
            row = missing.start_point.row
            line = (
                src.split(b"\n")[row].decode("utf-8", errors="replace").strip()
                if row < src.count(b"\n") + 1
                else ""
            )
            why = f"missing {missing.type!r}"
            if line[:1].isupper() and "(" in line:
                why += ": most likely a macro invocation the grammar cannot expand"
            out.problems.append(ParseProblem(path, row + 1, why, line[:80]))
    return out


def _inside_error(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.is_error:
            return True
        parent = parent.parent
    return False


def _first_missing(root: Node) -> Node | None:
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_missing:
            return n
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


def _why(src: bytes, err: Node) -> str:
    """A short reason for an unparsed region (what tree-sitter met, as far as we can tell)."""
    first = err.children[0] if err.children else err
    text = _text(src, err).lstrip()
    if first.type == "identifier" and text[:1].isupper() and "(" in text.split("\n", 1)[0]:
        return "a macro invocation the grammar cannot expand"
    if text.startswith("#"):
        return "a preprocessor conditional splits a construct"
    return "syntax the grammar cannot read here (a macro, or code outside its C++ subset)"
