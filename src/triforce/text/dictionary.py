"""Dictionary compression tables: entry i is written as byte $88 + i and stands for a run of
characters.

The vanilla dictionary (97 entries, pointers at $0E:C703) is game data and is not bundled: read
it from a disassembly with `triforce.text.usdasm.read_dictionary`. A hack or a test can build its
own with `Dictionary.from_strings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from triforce.errors import InputError
from triforce.text.tokens import format_tokens, parse

MAX_ENTRIES = 0xFF - 0x88  # $88..$FE; $FF ends the text


@dataclass(frozen=True)
class Dictionary:
    entries: tuple[tuple[int, ...], ...]  # character bytes of each entry, in table order
    source: str = ""  # where it was read from (for reports)
    _by_first: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.entries) > MAX_ENTRIES:
            raise InputError(
                f"{self.source or 'dictionary'}: {len(self.entries)} entries, at most {MAX_ENTRIES}"
            )
        for i, entry in enumerate(self.entries):
            if not entry:
                raise InputError(f"{self.source or 'dictionary'}: entry {i} is empty")
            if any(not 0 <= c < 0x67 for c in entry):
                raise InputError(f"{self.source or 'dictionary'}: entry {i} holds a non-character byte")
        by_first: dict[int, list[int]] = {}
        for i, entry in enumerate(self.entries):
            by_first.setdefault(entry[0], []).append(i)
        self._by_first.update({k: tuple(v) for k, v in by_first.items()})

    @classmethod
    def from_strings(cls, texts: list[str], source: str = "") -> Dictionary:
        """Entries written in the readable syntax (characters only)."""
        entries: list[tuple[int, ...]] = []
        for i, text in enumerate(texts):
            toks = parse(text)
            if not toks or any(t.kind != "char" for t in toks):
                raise InputError(f"{source or 'dictionary'}: entry {i} ({text!r}) must be characters only")
            entries.append(tuple(t.value for t in toks))
        return cls(tuple(entries), source)

    def __len__(self) -> int:
        return len(self.entries)

    def starting_with(self, code: int) -> tuple[int, ...]:
        """Indexes of the entries that start with character `code`, in table order."""
        return self._by_first.get(code, ())

    def text(self, index: int) -> str:
        from triforce.text.tokens import char

        return format_tokens(char(c) for c in self.entries[index])

    def strings(self) -> list[str]:
        return [self.text(i) for i in range(len(self.entries))]


MAX_DICTIONARY_FILE = 1024 * 1024


def load_dictionary(path: Path) -> Dictionary:
    """A dictionary from a usdasm checkout (a directory: `WordDictionary` in bank_0E.asm) or a
    YAML/JSON file holding a list of entries in the readable syntax."""
    path = Path(path)
    if path.is_dir():
        from triforce.text.usdasm import read_dictionary

        return read_dictionary(path)
    from triforce.text._files import read_text_bounded

    try:
        data = yaml.safe_load(read_text_bounded(path, MAX_DICTIONARY_FILE, "dictionary"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not YAML/JSON: {exc}") from exc
    if isinstance(data, dict):
        data = data.get("entries")
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise InputError(f"{path}: expected a list of strings (or a mapping with 'entries')")
    return Dictionary.from_strings(data, source=str(path))
