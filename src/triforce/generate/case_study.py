"""casestudy: ROM hack case studies from real trees given with `--source` (issue 15).

Two kinds of tree are read:

- z3randomizer (`hooks.asm` at its root, MIT): each hook states in its `org` comment the vanilla
  line it overwrites (`org $82D8C7 ; <- 158C7 - Bank02.asm : 10981 (STA $7EC172)`) and the patch
  that follows jumps to a routine of the tree. A case study says where the hook is, what vanilla
  code it replaces, the routine it jumps to, how that routine returns and what WRAM/SRAM it writes.
- Oracle of Secrets: a sprite's design document (`Docs/World/Sprites/<Kind>/<Name>.md`) paired
  with its code (`Sprites/<Kind>/<snake_name>.asm`) and dialogue bundle
  (`Data/dialogue/<snake_name>_dialogue.json`, message ids only: no game text is quoted): its
  entry routines, the properties the code sets (and where the document says otherwise), the
  messages it shows, the vanilla routines it calls, the save data it writes; and each side quest
  of `Docs/World/Lore/side_quests.md` with the files and flags it names, checked against the code
  (`Core/sram.asm`).

Every technical claim is a line of the answer's ```facts block, `- kind: key | "quoted" |
file:line`, and `check` re-reads the tree and proves each one (the quoted text is on that line,
a hook line is `org <address>`, a routine's label is defined there, a write's operand resolves to
the address, a flag's name resolves to the stated address, ...). The prose of the answer is
rendered from the facts, so `check` also requires the prose to be exactly what the facts give.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.fsio import MAX_SOURCE_BYTES, read_text_bounded
from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.sample import Provenance
from triforce.snes.addresses import parse_address
from triforce.snes.asmsyntax import GLOBAL_LABEL_RE, split_comment, statements

TASK = "cross.case_study"
SOURCE = "romhack-case-studies"
SPRITE_KINDS = ("NPCs", "Bosses", "Enemies", "Objects")
SIDE_QUESTS = "Docs/World/Lore/side_quests.md"
MAX_WRITES = 4
MAX_CALLS = 4
MAX_ROUTINES = 6
_STORES = ("sta", "stz", "stx", "sty")
_CALLS = ("jsl", "jsr", "jml", "jmp")
_RETURNS = ("rts", "rtl", "rti")
_HOOK_COMMENT = re.compile(r"(?P<file>[\w.-]+\.asm)\s*:\s*(?P<line>\d+)[^(\[]*\((?P<vanilla>[^)]*)\)")
_FACT = re.compile(r'^- ([\w-]+): (.*?) \| "(.*)" \| (.+?):(\d+)$')
_CONST = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(\S+)")
_PROPERTY = re.compile(r"^(![A-Za-z]\w*)\s*=\s*([0-9A-Fa-f]{2})\b")
_DOC_PROPERTY = re.compile(r"\*\*`(![A-Za-z]\w*)`\*\*:\s*`\$?([0-9A-Fa-f]{2})`")
_SET_PROPS = re.compile(r"%Set_Sprite_Properties\(\s*(\w+)\s*,\s*(\w+)\s*\)")
_MESSAGE = re.compile(r"%Show\w*Message\(\s*\$([0-9A-Fa-f]+)\s*\)")
_ANCHORS = ("hook", "patch", "sprite", "quest", "feature")
_FACTS_BLOCK = re.compile(r"```facts\n(.*?)\n```", re.S)


@dataclass(frozen=True)
class Fact:
    kind: str
    key: str
    quoted: str
    file: str
    line: int

    def text(self) -> str:
        return f'- {self.kind}: {self.key} | "{self.quoted}" | {self.file}:{self.line}'


def _norm(text: str) -> str:
    return " ".join(text.replace('"', "'").split()).lower()


# --- a tree's code index ----------------------------------------------------------------------


@dataclass
class TreeIndex:
    root: Path
    lines: dict[str, list[str]] = field(default_factory=dict)  # rel path -> lines
    labels: dict[str, tuple[str, int]] = field(default_factory=dict)  # first definition
    constants: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # name -> (value, rel, line)

    def file_lines(self, rel: str) -> list[str]:
        if rel not in self.lines:
            path = self.root / rel
            if not path.is_file() or not _inside(self.root, path):
                raise InputError(f"{rel}: no such file in {self.root}")
            self.lines[rel] = read_text_bounded(path, MAX_SOURCE_BYTES, errors="replace").splitlines()
        return self.lines[rel]

    def line(self, rel: str, n: int) -> str:
        lines = self.file_lines(rel)
        return lines[n - 1] if 1 <= n <= len(lines) else ""

    def resolve(self, operand: str) -> int | None:
        """The address an operand names: a literal `$7EF360` or a constant (followed up to 8 hops)."""
        text = operand.split(",")[0].strip()
        text = re.sub(r"^[<>!]|\.[bwl]$", "", text)
        for _ in range(8):
            if text.startswith("$") and len(text) == 7:
                try:
                    return parse_address(text)
                except (ValueError, InputError):
                    return None
            nxt = self.constants.get(text)
            if nxt is None:
                return None
            text = nxt[0]
        return None


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4)
def tree_index(root: str) -> TreeIndex:
    """Labels and `Name = value` constants of every .asm file of a tree (hidden folders skipped)."""
    base = Path(root)
    idx = TreeIndex(base)
    for path in sorted(base.rglob("*.asm")):
        rel = path.relative_to(base).as_posix()
        if (
            any(part.startswith(".") for part in path.relative_to(base).parts)
            or path.stat().st_size > MAX_SOURCE_BYTES
        ):
            continue
        text = "\n".join(idx.file_lines(rel))
        for st in statements(text):
            for label in st.labels:
                name = label.strip().lstrip("#").rstrip(":")
                if label[:1] not in ".?+-" and name and name not in idx.labels:
                    idx.labels[name] = (rel, st.line)
            m = _CONST.match(st.text)
            if m and not st.labels and m.group(1) not in idx.constants:
                idx.constants[m.group(1)] = (m.group(2), rel, st.line)
    return idx


def _mnemonic(command: str) -> str:
    """`sta.l` -> `sta` (asar's width suffixes)."""
    return command.split(".")[0]


def routine_facts(idx: TreeIndex, name: str) -> list[Fact]:
    """Where a routine is defined, how it returns, what it writes and calls (to its next global label)."""
    where = idx.labels.get(name)
    if where is None:
        return []
    rel, start = where
    out = [Fact("routine", name, idx.line(rel, start).strip(), rel, start)]
    lines = idx.file_lines(rel)
    text = "\n".join(lines[start - 1 : start + 400])
    writes: list[Fact] = []
    calls: list[Fact] = []
    for st in statements(text):
        n = st.line + start - 1
        if n > start and any(
            lab[:1] not in ".?+-" and GLOBAL_LABEL_RE.match(lab.strip() + " x") for lab in st.labels
        ):
            break
        if _mnemonic(st.command) in _RETURNS:
            out.append(Fact("returns", _mnemonic(st.command).upper(), st.text, rel, n))
            break
        if _mnemonic(st.command) in _STORES and len(writes) < MAX_WRITES:
            addr = idx.resolve(st.operand)
            if addr is not None and 0x7E0000 <= addr <= 0x7FFFFF and addr >= 0x7E0100:
                writes.append(Fact("writes", f"${addr:06X}", st.text, rel, n))
        target = st.operand.strip()
        if (
            _mnemonic(st.command) in _CALLS
            and len(calls) < MAX_CALLS
            and re.fullmatch(r"[A-Za-z_]\w*", target)
            and (target in idx.labels or target in idx.constants)
        ):
            calls.append(Fact("calls", st.operand.strip(), st.text, rel, n))
    return out + writes + calls


# --- z3randomizer hooks -----------------------------------------------------------------------


def is_hooks_tree(root: Path) -> bool:
    return (root / "hooks.asm").is_file()


@dataclass(frozen=True)
class Hook:
    title: str
    address: int
    line: int
    vanilla: str
    vanilla_at: str
    patch: str
    patch_line: int
    target: str


_LONG_LITERAL = re.compile(r"\$[0-9A-Fa-f]{6}")
_ORG = re.compile(r"\s*org\s+(\$[0-9A-Fa-f]{6})\b", re.I)


def patch_after(idx: TreeIndex, lines: list[str], i: int, col: int) -> tuple[str, int, str] | None:
    """(statement, line, target) of the first call to a routine of the tree in the patch an `org`
    on line i (0-based) starts: the rest of its line (from `col`), then up to three more lines,
    stopping at a blank line or the next `org`."""
    for j in range(i, min(i + 4, len(lines))):
        body, _ = split_comment(lines[j])
        if j > i and (not body.strip() or _ORG.match(body)):
            return None
        for st in statements(body if j > i else body[col:].lstrip(" :")):
            target = st.operand.strip()
            named = re.fullmatch(r"[A-Za-z_]\w*", target) is not None and target in idx.labels
            if _mnemonic(st.command) in _CALLS and (named or _LONG_LITERAL.fullmatch(target)):
                return st.text, j + 1, target
    return None


def read_hooks(root: Path) -> list[Hook]:
    """Every hook of hooks.asm whose org comment names the vanilla line and whose patch jumps to
    a label of the tree."""
    idx = tree_index(str(root))
    lines = idx.file_lines("hooks.asm")
    hooks: list[Hook] = []
    title = ""
    for i, line in enumerate(lines):
        code, comment = split_comment(line)
        if not code.strip():
            if (
                comment.strip()
                and not set(comment.strip()) <= {"=", "-"}
                and i > 0
                and lines[i - 1].startswith(";===")
            ):
                title = comment.strip()
            continue
        m = _ORG.match(code)
        if not m:
            continue
        c = _HOOK_COMMENT.search(comment)
        if c is None:
            continue
        address = parse_address(m.group(1))
        patch = patch_after(idx, lines, i, m.end())
        if patch is None:
            continue
        hooks.append(
            Hook(
                title or "hook",
                address,
                i + 1,
                " ".join(c.group("vanilla").split()),
                f"{c.group('file')}:{c.group('line')}",
                patch[0],
                patch[1],
                patch[2],
            )
        )
    return hooks


def hook_facts(root: Path, hook: Hook) -> list[Fact]:
    idx = tree_index(str(root))
    return [
        Fact(
            "hook",
            f"${hook.address:06X}",
            idx.line("hooks.asm", hook.line).split(";")[0].strip(),
            "hooks.asm",
            hook.line,
        ),
        Fact("vanilla", hook.vanilla_at, hook.vanilla, "hooks.asm", hook.line),
        Fact("patch", hook.target, hook.patch, "hooks.asm", hook.patch_line),
        *routine_facts(idx, hook.target),
    ]


# --- Oracle of Secrets --------------------------------------------------------------------------


def is_oos(root: Path) -> bool:
    return (root / "Docs/World/Sprites").is_dir() and (root / "Sprites").is_dir()


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def sprite_pairs(root: Path) -> list[tuple[str, str]]:
    """(design doc, code file) of every sprite whose document has a code file of the same name."""
    out = []
    for kind in SPRITE_KINDS:
        for doc in sorted((root / "Docs/World/Sprites" / kind).glob("*.md")):
            code = root / "Sprites" / kind / f"{snake(doc.stem)}.asm"
            if code.is_file():
                out.append((doc.relative_to(root).as_posix(), code.relative_to(root).as_posix()))
    return out


def _first_sentence(lines: list[str]) -> tuple[str, int] | None:
    in_overview = False
    for n, line in enumerate(lines, start=1):
        if line.startswith("## "):
            in_overview = "overview" in line.lower()
            continue
        if in_overview and line.strip() and not line.startswith(("#", "*", "-", "|", "`", ">")):
            sentence = re.split(r"(?<=[.!?])\s", line.strip(), maxsplit=1)[0]
            return sentence.replace('"', "'"), n
    return None


def sprite_facts(root: Path, doc: str, code: str) -> list[Fact]:
    idx = tree_index(str(root))
    doc_lines = read_text_bounded(root / doc, MAX_SOURCE_BYTES, errors="replace").splitlines()
    lines = idx.file_lines(code)
    out: list[Fact] = []
    first = _first_sentence(doc_lines)
    if first:
        out.append(Fact("describes", doc, first[0], doc, first[1]))
    props: dict[str, tuple[str, int]] = {}
    entry: tuple[str, str] | None = None
    messages: list[Fact] = []
    for n, line in enumerate(lines, start=1):
        body, _ = split_comment(line)
        p = _PROPERTY.match(body.strip())
        if p and p.group(1) not in props:
            props[p.group(1)] = (p.group(2), n)
        s = _SET_PROPS.search(body)
        if s and entry is None:
            entry = (s.group(1), s.group(2))
            out.append(Fact("sprite", f"prep {s.group(1)} main {s.group(2)}", s.group(0), code, n))
        for mm in _MESSAGE.finditer(body):
            key = f"${int(mm.group(1), 16):03X}"
            if all(f.key != key for f in messages):
                messages.append(Fact("message", key, mm.group(0), code, n))
    for name in ("!Health", "!Damage", "!Harmless", "!Boss", "!Prize", "!Hitbox"):
        if name in props:
            value, n = props[name]
            out.append(
                Fact("property", f"{name} = {value}", idx.line(code, n).split(";")[0].strip(), code, n)
            )
    for n, line in enumerate(doc_lines, start=1):
        d = _DOC_PROPERTY.search(line)
        if d and d.group(1) in props and int(d.group(2), 16) != int(props[d.group(1)][0], 16):
            out.append(
                Fact("doc-property", f"{d.group(1)} = {d.group(2)}", d.group(0).replace('"', "'"), doc, n)
            )
    routines: list[str] = list(entry or ())
    for name, (rel, _) in idx.labels.items():
        if rel == code and name not in routines and len(routines) < MAX_ROUTINES:
            routines.append(name)
    for name in routines:
        facts = routine_facts(idx, name)
        out += [f for f in facts if f.kind in ("routine", "returns", "writes")]
    calls: list[Fact] = []
    for f in (f for name in routines for f in routine_facts(idx, name) if f.kind == "calls"):
        outside = f.key not in idx.labels or idx.labels[f.key][0] != code
        if outside and all(c.key != f.key for c in calls) and len(calls) < MAX_CALLS:
            calls.append(f)
    out += calls + messages[:6]
    dialogue = f"Data/dialogue/{Path(code).stem}_dialogue.json"
    if (root / dialogue).is_file():
        ids = dialogue_ids(root, dialogue)
        if ids:
            out.append(Fact("dialogue-ids", ", ".join(f"${i:03X}" for i in ids), "", dialogue, 0))
    return out


def dialogue_ids(root: Path, rel: str) -> list[int]:
    try:
        data = json.loads(read_text_bounded(root / rel, MAX_SOURCE_BYTES))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    msgs = data.get("messages", []) if isinstance(data, dict) else []
    return sorted({int(m["id"]) for m in msgs if isinstance(m, dict) and isinstance(m.get("id"), int)})


def quest_facts(root: Path, title: str) -> list[Fact]:
    from triforce.quest.oos import read_side_quests

    idx = tree_index(str(root))
    for q in read_side_quests(root):
        if q.title != title:
            continue
        out = [Fact("quest", title, f"### {title}", q.path, q.line)]
        for rel in dict.fromkeys(q.files):
            out.append(Fact("file-present" if (root / rel).is_file() else "file-missing", rel, "", rel, 0))
        for name, address, n in dict.fromkeys(q.flags):
            out.append(Fact("flag-doc", f"{name} = ${address:06X}", name, q.path, n))
            got = idx.resolve(name)
            if got is not None and name in idx.constants:
                _, rel, ln = idx.constants[name]
                out.append(Fact("flag-code", f"{name} = ${got:06X}", f"{name}", rel, ln))
                for f_rel in q.files:
                    if (
                        not f_rel.endswith(".asm")
                        or not (root / f_rel).is_file()
                        or f_rel.startswith("Core/")
                    ):
                        continue
                    for k, line in enumerate(idx.file_lines(f_rel), start=1):
                        if re.search(rf"\b{re.escape(name)}\b", split_comment(line)[0]):
                            out.append(Fact("uses", name, split_comment(line)[0].strip(), f_rel, k))
                            break
        return out
    return []


FEATURE_DOCS = {"Docs/World/Features/Items/Items.md": "Items", "Docs/World/Features/Masks/Masks.md": "Masks"}
MAX_HOOKS = 4
_NAME = re.compile(r"`([A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+|[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+)`")


@dataclass(frozen=True)
class Feature:
    doc: str
    title: str
    line: int
    end: int  # last line of the section
    files: tuple[str, ...]  # as the document names them


def feature_sections(root: Path) -> list[Feature]:
    """The `### ` sections of the items and masks documents that name code files."""
    out: list[Feature] = []
    for doc in FEATURE_DOCS:
        if not (root / doc).is_file():
            continue
        lines = read_text_bounded(root / doc, MAX_SOURCE_BYTES, errors="replace").splitlines()
        heads = [n for n, ln in enumerate(lines, start=1) if ln.startswith("#")]
        for n in heads:
            if not lines[n - 1].startswith("### "):
                continue
            end = next((h - 1 for h in heads if h > n), len(lines))
            files = [f for ln in lines[n:end] if "**File" in ln for f in re.findall(r"`([\w./-]+\.asm)`", ln)]
            if files:
                out.append(Feature(doc, lines[n - 1][4:].strip(), n, end, tuple(dict.fromkeys(files))))
    return out


def _feature_file(root: Path, doc: str, name: str) -> str:
    """The tree path of a file a feature document names (`ice_rod.asm` -> `Items/ice_rod.asm`)."""
    if (root / name).is_file():
        return name
    return f"{FEATURE_DOCS[doc]}/{name}"


def feature_facts(root: Path, feature: Feature) -> list[Fact]:
    idx = tree_index(str(root))
    doc_lines = read_text_bounded(root / feature.doc, MAX_SOURCE_BYTES, errors="replace").splitlines()
    out = [Fact("feature", feature.title, f"### {feature.title}", feature.doc, feature.line)]
    for n in range(feature.line + 1, feature.end + 1):
        m = re.match(r"-\s+\*\*Functionality:\*\*\s+(.+)", doc_lines[n - 1])
        if m:
            sentence = re.split(r"(?<=[.!?])\s", m.group(1).strip(), maxsplit=1)[0]
            out.append(Fact("describes", feature.doc, sentence.replace('"', "'"), feature.doc, n))
            break
    code_files = []
    for name in feature.files:
        rel = _feature_file(root, feature.doc, name)
        present = (root / rel).is_file()
        out.append(Fact("file-present" if present else "file-missing", rel, "", rel, 0))
        if present:
            code_files.append(rel)
    for rel in code_files:
        lines = idx.file_lines(rel)
        hooks = 0
        for i, line in enumerate(lines):
            m = _ORG.match(split_comment(line)[0])
            if not m or hooks >= MAX_HOOKS:
                continue
            patch = patch_after(idx, lines, i, m.end())
            if patch is None:
                continue
            hooks += 1
            out.append(
                Fact("hook", f"${parse_address(m.group(1)):06X}", split_comment(line)[0].strip(), rel, i + 1)
            )
            out.append(Fact("patch", patch[2], patch[0], rel, patch[1]))
    seen: set[str] = set()
    for n in range(feature.line + 1, feature.end + 1):
        for name in _NAME.findall(doc_lines[n - 1]):
            if name in seen:
                continue
            seen.add(name)
            known = name in idx.labels or name in idx.constants
            out.append(Fact("doc-names" if known else "doc-unknown", name, name, feature.doc, n))
    for name in [f.key for f in out if f.kind == "doc-names"]:
        if name in idx.labels and idx.labels[name][0] in code_files:
            out += [f for f in routine_facts(idx, name) if f.kind in ("routine", "returns", "writes")]
    return out


DUNGEON_DOCS = "Docs/World/Dungeons"
MAX_NAMES = 12


def dungeon_docs(root: Path) -> list[str]:
    """The dungeon design documents (maps and features; the template left out)."""
    folder = root / DUNGEON_DOCS
    if not folder.is_dir():
        return []
    return [p.relative_to(root).as_posix() for p in sorted(folder.glob("*.md")) if "TEMPLATE" not in p.name]


def dungeon_facts(root: Path, doc: str) -> list[Fact]:
    """A dungeon document against the code: the code files it names (found by name anywhere in
    the tree, or not), the identifiers it names that the code defines (or does not), and where
    the routines among them are and what they write."""
    idx = tree_index(str(root))
    lines = read_text_bounded(root / doc, MAX_SOURCE_BYTES, errors="replace").splitlines()
    title = next(((n, ln) for n, ln in enumerate(lines, start=1) if ln.startswith("# ")), None)
    if title is None:
        return []
    out = [Fact("feature", title[1][2:].strip(), title[1].strip(), doc, title[0])]
    by_name: dict[str, str] = {}
    for rel in sorted(idx.lines):
        by_name.setdefault(Path(rel).name, rel)
    seen: set[str] = set()
    names = 0
    for n, line in enumerate(lines, start=1):
        for f in re.findall(r"`([\w./-]+\.asm)`", line):
            base = Path(f).name
            if base in seen:
                continue
            seen.add(base)
            found_at: str | None = f if f in idx.lines else by_name.get(base)
            out.append(
                Fact("file-named", found_at, base, doc, n)
                if found_at
                else Fact("file-unknown", base, base, doc, n)
            )
        for name in _NAME.findall(line):
            if name in seen or names >= MAX_NAMES:
                continue
            seen.add(name)
            names += 1
            known = name in idx.labels or name in idx.constants
            out.append(Fact("doc-names" if known else "doc-unknown", name, name, doc, n))
    routines = [f.key for f in out if f.kind == "doc-names" and f.key in idx.labels][:4]
    for name in routines:
        out += [f for f in routine_facts(idx, name) if f.kind in ("routine", "returns", "writes")]
    return out if len(out) > 1 else []


# --- prose from facts ---------------------------------------------------------------------------


def prose(facts: Sequence[Fact]) -> str:
    """The answer's text: one sentence per fact, in order (nothing a fact does not state)."""
    say = {
        "hook": "The hook is the `org {key}` at {at}.",
        "vanilla": "It overwrites the vanilla code `{q}` ({key} of the disassembly, as the comment at {at} states).",
        "patch": "The patch `{q}` at {at} sends the game to {key}.",
        "routine": "`{key}` is defined at {at}.",
        "returns": "It returns with {key} ({at}).",
        "writes": "It writes {key} (`{q}` at {at}).",
        "calls": "It calls `{key}` (`{q}` at {at}).",
        "describes": 'The design document {key} describes it: "{q}" ({at}).',
        "sprite": "The sprite's entry points are registered by `{q}` at {at}: {key}.",
        "property": "The code sets `{key}` ({at}).",
        "doc-property": "The design document states `{key}` ({at}), which the code does not match.",
        "message": "It shows message {key} (`{q}` at {at}).",
        "dialogue-ids": "Its dialogue bundle {file} holds messages {key}.",
        "quest": 'The side quest "{key}" is described at {at}.',
        "file-present": "It names the file {key}, which exists.",
        "file-missing": "It names the file {key}, which is not in the tree.",
        "flag-doc": "The quest document places `{name}` at {addr} ({at}).",
        "flag-code": "The code defines `{name}` as {addr} ({at}).",
        "uses": "`{key}` is used in `{q}` at {at}.",
        "feature": 'The feature "{key}" is described at {at}.',
        "file-named": "The document names {q} ({at}); the tree has it at {key}.",
        "file-unknown": "The document names {key} ({at}), which is not in the tree.",
        "doc-names": "The document names `{key}` ({at}), which the code defines.",
        "doc-unknown": "The document names `{key}` ({at}), which no code of the tree defines.",
    }
    out = []
    for f in facts:
        name, _, addr = f.key.partition(" = ")
        out.append(
            say[f.kind].format(
                key=f.key, q=f.quoted, at=f"{f.file}:{f.line}", file=f.file, name=name, addr=addr
            )
        )
    return " ".join(out)


def answer(facts: Sequence[Fact]) -> str:
    return prose(facts) + "\n\n```facts\n" + "\n".join(f.text() for f in facts) + "\n```"


def parse_facts(text: str) -> list[Fact] | None:
    m = _FACTS_BLOCK.search(text)
    if m is None:
        return None
    out = []
    for line in m.group(1).splitlines():
        f = _FACT.match(line)
        if f is None:
            return None
        out.append(Fact(f.group(1), f.group(2), f.group(3), f.group(4), int(f.group(5))))
    return out


def verify_fact(root: Path, f: Fact) -> str | None:
    """Why a fact does not hold in the tree (None when it holds)."""
    idx = tree_index(str(root))
    where = f"{f.file}:{f.line}"
    if f.kind in ("file-present", "file-missing"):
        exists = (root / f.key).is_file() and _inside(root, root / f.key)
        return None if exists == (f.kind == "file-present") else f"{f.key}: exists={exists}"
    if f.kind == "dialogue-ids":
        got = ", ".join(f"${i:03X}" for i in dialogue_ids(root, f.file)) if (root / f.file).is_file() else ""
        return None if got == f.key else f"{f.file}: message ids are {got or 'none'}"
    try:
        line = idx.line(f.file, f.line) if f.file.endswith(".asm") else _doc_line(root, f.file, f.line)
    except InputError as exc:
        return str(exc)
    if _norm(f.quoted) not in _norm(line):
        return f'{where}: "{f.quoted}" is not on that line'
    code = split_comment(line)[0] if f.file.endswith(".asm") else line
    sts = list(statements(code)) if f.file.endswith(".asm") else []
    if f.kind == "hook":
        m = re.match(r"\s*org\s+(\$[0-9A-Fa-f]{6})\b", code, re.I)
        return (
            None if m and parse_address(m.group(1)) == parse_address(f.key) else f"{where} is not org {f.key}"
        )
    if f.kind == "vanilla":
        c = _HOOK_COMMENT.search(split_comment(line)[1])
        ok = (
            c
            and f"{c.group('file')}:{c.group('line')}" == f.key
            and _norm(c.group("vanilla")) == _norm(f.quoted)
        )
        return None if ok else f"{where}: the comment does not name {f.key} ({f.quoted})"
    if f.kind in ("patch", "calls"):
        known = (
            f.key in idx.labels
            or (f.kind == "calls" and f.key in idx.constants)
            or (f.kind == "patch" and _LONG_LITERAL.fullmatch(f.key) is not None)
        )
        ok = any(_mnemonic(st.command) in _CALLS and st.operand.strip() == f.key for st in sts) and known
        return None if ok else f"{where} does not jump to a routine {f.key}"
    if f.kind == "routine":
        ok = any(lab.strip().lstrip("#").rstrip(":") == f.key for st in sts for lab in st.labels)
        return (
            None if ok and idx.labels.get(f.key) == (f.file, f.line) else f"{where} does not define {f.key}"
        )
    if f.kind == "returns":
        return (
            None if any(_mnemonic(st.command) == f.key.lower() for st in sts) else f"{where} is not {f.key}"
        )
    if f.kind == "writes":
        ok = any(
            _mnemonic(st.command) in _STORES and idx.resolve(st.operand) == parse_address(f.key) for st in sts
        )
        return None if ok else f"{where} does not store to {f.key}"
    if f.kind == "property":
        p = _PROPERTY.match(code.strip())
        return None if p and f"{p.group(1)} = {p.group(2)}" == f.key else f"{where} does not set {f.key}"
    if f.kind == "doc-property":
        d = _DOC_PROPERTY.search(line)
        name, _, value = f.key.partition(" = ")
        code_value = _code_property(root, f.file, name)
        ok = (
            d
            and d.group(1) == name
            and d.group(2) == value
            and code_value is not None
            and int(code_value, 16) != int(value, 16)
        )
        return None if ok else f"{where}: the document and the code agree on {name} (or it is not there)"
    if f.kind == "sprite":
        s = _SET_PROPS.search(code)
        return (
            None
            if s and f"prep {s.group(1)} main {s.group(2)}" == f.key
            else f"{where} registers other routines"
        )
    if f.kind == "message":
        return (
            None
            if any(int(m.group(1), 16) == int(f.key[1:], 16) for m in _MESSAGE.finditer(code))
            else f"{where} shows no message {f.key}"
        )
    if f.kind == "describes":
        return None
    if f.kind in ("quest", "feature"):
        heading = line.startswith("#") and line.lstrip("#").strip() == f.key
        return None if heading else f"{where} is not the {f.kind}'s heading"
    if f.kind in ("file-named", "file-unknown"):
        found = sorted(rel for rel in tree_index(str(root)).lines if Path(rel).name == f.quoted)
        if f.kind == "file-unknown":
            return None if not found else f"{f.quoted} is in the tree ({found[0]})"
        return (
            None
            if f.key in found or ((root / f.key).is_file() and Path(f.key).name == f.quoted)
            else f"{f.key} is not {f.quoted}"
        )
    if f.kind in ("doc-names", "doc-unknown"):
        known = f.key in idx.labels or f.key in idx.constants
        if f"`{f.key}`" not in line:
            return f"{where} does not name `{f.key}`"
        return None if known == (f.kind == "doc-names") else f"{f.key}: defined in the code is {known}"
    if f.kind == "flag-doc":
        name, _, addr = f.key.partition(" = ")
        ok = name in line and re.search(rf"\${addr[1:]}\b", line, re.I) is not None
        return None if ok else f"{where} does not place {name} at {addr}"
    if f.kind == "flag-code":
        name, _, addr = f.key.partition(" = ")
        ok = idx.resolve(name) == parse_address(addr) and idx.constants.get(name, ("", "", 0))[1:] == (
            f.file,
            f.line,
        )
        return None if ok else f"the code does not define {name} as {addr} at {where}"
    if f.kind == "uses":
        return None if re.search(rf"\b{re.escape(f.key)}\b", code) else f"{where} does not use {f.key}"
    return f"unknown fact kind {f.kind!r}"


def _doc_line(root: Path, rel: str, n: int) -> str:
    path = root / rel
    if not path.is_file() or not _inside(root, path):
        raise InputError(f"{rel}: no such file in {root}")
    lines = read_text_bounded(path, MAX_SOURCE_BYTES, errors="replace").splitlines()
    return lines[n - 1] if 1 <= n <= len(lines) else ""


def _code_property(root: Path, doc: str, name: str) -> str | None:
    parts = Path(doc).parts
    if len(parts) < 5:
        return None
    code = f"Sprites/{parts[3]}/{snake(Path(doc).stem)}.asm"
    if not (root / code).is_file():
        return None
    for line in tree_index(str(root)).file_lines(code):
        p = _PROPERTY.match(split_comment(line)[0].strip())
        if p and p.group(1) == name:
            return p.group(2)
    return None


# --- the generator ------------------------------------------------------------------------------


class CaseStudyGenerator(DomainGenerator):
    name = "casestudy"
    tasks = (TASK,)

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        out: list[Unit] = []
        for src in sources:
            root = Path(src.path).resolve()
            if not root.is_dir():
                continue
            if is_hooks_tree(root):
                out += [
                    Unit(f"{root.name}:hook:{h.line:05d}", (str(root), "hook", h.line))
                    for h in read_hooks(root)
                ]
            if is_oos(root):
                out += [
                    Unit(f"{root.name}:sprite:{d}", (str(root), "sprite", d)) for d, _ in sprite_pairs(root)
                ]
                from triforce.quest.oos import read_side_quests

                out += [
                    Unit(f"{root.name}:quest:{q.title}", (str(root), "quest", q.title))
                    for q in read_side_quests(root)
                    if q.files or q.flags
                ]
                out += [
                    Unit(
                        f"{root.name}:feature:{f.doc}:{f.line:04d}",
                        (str(root), "feature", f"{f.doc}:{f.line}"),
                    )
                    for f in feature_sections(root)
                ]
                out += [
                    Unit(f"{root.name}:dungeon:{d}", (str(root), "dungeon", d))
                    for d in dungeon_docs(root)
                    if dungeon_facts(root, d)
                ]
        return out

    def run(self, unit: Unit, seed: int) -> UnitResult:
        root_s, kind, key = unit.payload
        root = Path(root_s)
        out = UnitResult(candidates=1)
        got = make_case(root, kind, key)
        if isinstance(got, str):
            out.reject("no-case", got, unit.key)
            return out
        user, facts, corpus, group = got
        bad = [p for p in (verify_fact(root, f) for f in facts) if p]
        if bad:
            out.reject("unproven", bad[0], unit.key)
            return out
        out.samples.append(
            make_domain_sample(
                self,
                task=TASK,
                domain="cross",
                source=SOURCE,
                user=user,
                assistant=answer(facts),
                provenance=Provenance(corpus=corpus, origin="rom-hack", file=facts[0].file),
                verification=checked("tree-facts", {"facts": len(facts), "kind": kind}),
                meta={"case": {"root": str(root), "kind": kind, "key": key}},
                group=group,
            )
        )
        return out

    def check(self, sample: dict[str, Any]) -> list[str]:
        case = sample.get("meta", {}).get("case", {})
        root = Path(str(case.get("root", "")))
        if not root.is_dir():
            return [f"the tree is not at {root}: a case study is re-proven against its code"]
        text = sample["messages"][-1]["content"]
        facts = parse_facts(text)
        if not facts:
            return ['no ```facts block, or a line of it is not `- kind: key | "quoted" | file:line`']
        problems = [p for p in (verify_fact(root, f) for f in facts) if p]
        if text != answer(facts):
            problems.append("the prose is not what the facts state")
        got = make_case(root, str(case.get("kind")), case.get("key"))
        if isinstance(got, str):
            problems.append(got)
        elif [f.kind for f in got[1] if f.kind in _ANCHORS] != [f.kind for f in facts if f.kind in _ANCHORS]:
            problems.append("the case's anchor facts (hook, patch, sprite, quest) are missing")
        return problems


def make_case(root: Path, kind: str, key: Any) -> tuple[str, list[Fact], str, str] | str:
    """(user, facts, corpus, group) of one case, or why there is none."""
    if kind == "hook":
        hook = next((h for h in read_hooks(root) if h.line == int(key)), None)
        if hook is None:
            return f"hooks.asm:{key} is no longer a hook"
        facts = hook_facts(root, hook)
        user = (
            f'Case study from z3randomizer (hooks.asm:{hook.line}, section "{hook.title}"): how does the '
            f"hook at ${hook.address:06X} change ALTTP? Say which vanilla code it overwrites, which routine "
            "it jumps to, how that routine returns and what game state it writes, citing file:line."
        )
        return user, facts, "z3randomizer", f"casestudy:z3randomizer:{hook.target}"
    if kind == "sprite":
        pair = next((p for p in sprite_pairs(root) if p[0] == key), None)
        if pair is None:
            return f"{key}: no design document with code"
        facts = sprite_facts(root, *pair)
        name = Path(pair[0]).stem
        user = (
            f"Case study from Oracle of Secrets: the {name} sprite. Pair its design document ({pair[0]}) "
            f"with its code ({pair[1]}): what it does, how it hooks into the game (entry routines, vanilla "
            "routines it calls, messages it shows), what it changes, and where the document and the code "
            "disagree. Cite file:line."
        )
        return user, facts, "oracle-of-secrets", f"casestudy:oos:{name}"
    if kind == "feature":
        feature = next((f for f in feature_sections(root) if f"{f.doc}:{f.line}" == key), None)
        if feature is None:
            return f"{key}: no feature section naming code files"
        facts = feature_facts(root, feature)
        user = (
            f'Case study from Oracle of Secrets: the feature "{feature.title}" ({feature.doc}:{feature.line}). '
            "Pair the design document with the code it names: what the feature does, where it hooks the "
            "game (org addresses and the routines they call), which names in the document the code "
            "defines (and which it does not), what the routines write. Cite file:line."
        )
        return user, facts, "oracle-of-secrets", f"casestudy:oos:feature:{feature.title}"
    if kind == "dungeon":
        facts = dungeon_facts(root, str(key)) if str(key) in dungeon_docs(root) else []
        if not facts:
            return f"{key}: no dungeon document naming code"
        user = (
            f"Case study from Oracle of Secrets: the dungeon document {key}. Which code files and "
            "identifiers does it name, does the code have them, and where are the routines it names "
            "and what do they write? Cite file:line."
        )
        return user, facts, "oracle-of-secrets", f"casestudy:oos:dungeon:{Path(str(key)).stem}"
    facts = quest_facts(root, str(key))
    if not facts:
        return f"side quest {key!r} not found"
    user = (
        f'Case study from Oracle of Secrets: the side quest "{key}". Which files and save flags does '
        f"its design document ({SIDE_QUESTS}) name, do they exist in the code with the addresses it "
        "states, and where does the code use them? Cite file:line."
    )
    return user, facts, "oracle-of-secrets", f"casestudy:oos:quest:{key}"
