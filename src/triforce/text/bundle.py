"""A ROM hack's messages as its tools store them.

- yaze message bundles (`yaze-message-bundle` v1 JSON, e.g. Oracle of Secrets'
  `Data/dialogue/*.json`): `{format, version, counts, messages: [{id, bank, raw | text}]}` where
  `id` counts within its bank (`vanilla` from $000, `expanded` from $18D);
- generated message sources (`Message_18D:` labels followed by `db` lines, e.g. OoS
  `Core/Generated/expanded_messages.asm`).
Both are user files: read with a size bound, every problem named by file and message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from triforce.errors import InputError
from triforce.text._files import read_text_bounded

MAX_BUNDLE_BYTES = 8 * 1024 * 1024
EXPANDED_BASE = 0x18D  # the first message id after the 397 vanilla ones
BUNDLE_FORMAT = "yaze-message-bundle"

Bank = Literal["vanilla", "expanded"]


@dataclass(frozen=True)
class BundleMessage:
    file: Path
    position: int  # index in the file's `messages` list
    id: int  # index within its bank
    bank: Bank
    text: str  # the readable syntax (yaze tokens)
    field: str  # "raw" or "text"

    @property
    def absolute_id(self) -> int:
        return self.id + (EXPANDED_BASE if self.bank == "expanded" else 0)


@dataclass(frozen=True)
class AsmMessage:
    file: Path
    line: int  # line of its label
    id: int  # from the label (absolute)
    data: bytes  # the bytes under the label, up to the next label


def _read(path: Path) -> str:
    return read_text_bounded(path, MAX_BUNDLE_BYTES, "message file")


def read_bundle(path: Path) -> list[BundleMessage]:
    """The messages of one yaze message bundle."""
    path = Path(path)
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise InputError(f"{path}: field 'format' must be {BUNDLE_FORMAT!r}")
    if data.get("version", 1) != 1:
        raise InputError(f"{path}: field 'version': only version 1 is known, not {data.get('version')!r}")
    messages = data.get("messages")
    if not isinstance(messages, list):
        raise InputError(f"{path}: field 'messages' must be a list")
    out: list[BundleMessage] = []
    for pos, m in enumerate(messages):
        where = f"{path}: messages[{pos}]"
        if not isinstance(m, dict):
            raise InputError(f"{where}: must be an object")
        mid, bank = m.get("id"), m.get("bank")
        if not isinstance(mid, int) or isinstance(mid, bool) or mid < 0:
            raise InputError(f"{where}: field 'id' must be a non-negative integer")
        if bank not in ("vanilla", "expanded"):
            raise InputError(f"{where}: field 'bank' must be 'vanilla' or 'expanded'")
        field = "raw" if "raw" in m else "text"
        text = m.get(field)
        if not isinstance(text, str):
            raise InputError(f"{where}: needs a string field 'raw' or 'text'")
        out.append(BundleMessage(path, pos, mid, bank, text, field))
    return out


_LABEL = re.compile(r"^\s*Message_([0-9A-Fa-f]{3,4}):\s*(?:;.*)?$")
_DB = re.compile(r"^\s*(?:#_[0-9A-Fa-f]{6}:\s*)?db\s+([^;]*)")  # usdasm puts `#_1C8000:` first


def read_message_asm(path: Path) -> list[AsmMessage]:
    """`Message_XXX:` labels and the `db` bytes under each (only plain `$hh`/decimal bytes)."""
    path = Path(path)
    out: list[AsmMessage] = []
    current: tuple[int, int] | None = None
    buf = bytearray()
    for number, line in enumerate(_read(path).splitlines(), start=1):
        if m := _LABEL.match(line):
            if current is not None:
                out.append(AsmMessage(path, current[1], current[0], bytes(buf)))
            current, buf = (int(m.group(1), 16), number), bytearray()
            continue
        if (m := _DB.match(line)) and current is not None:
            for value in (v.strip() for v in m.group(1).split(",") if v.strip()):
                try:
                    byte = int(value[1:], 16) if value.startswith("$") else int(value)
                except ValueError:
                    raise InputError(f"{path}:{number}: {value!r} is not a byte") from None
                if not 0 <= byte <= 0xFF:
                    raise InputError(f"{path}:{number}: {value!r} is not a byte")
                buf.append(byte)
    if current is not None:
        out.append(AsmMessage(path, current[1], current[0], bytes(buf)))
    return out
