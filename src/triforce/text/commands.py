"""Text commands $67-$7F and the special bytes around them.

Argument bytes: eight commands take one ($6B window, $6C number, $6D position, $6E scroll speed,
$77 colour, $78 wait, $79 sound, $7A speed). That is the game's own command length table
(`TextCommandLengths`, $0E:D3D1, read by `CreateMessagePointers` as
`RenderText_MoreInitialSettings,Y` with Y = the byte, so its first entry belongs to $66);
`triforce text prove` re-reads it from usdasm and compares it with this table.

Tokens: the readable syntax writes a command as `[TOKEN]` or `[TOKEN:HH]` (hex argument) with
yaze's tokens; zelda3's names (`[Speed 03]`, decimal argument) and a few long forms are accepted
as aliases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

END = 0x7F  # end of message
BANK_SWITCH = 0x80  # between messages: the text continues in the second bank
END_OF_TEXT = 0xFF  # after the last message
DICT_BASE = 0x88  # $88 + i = dictionary entry i

CommandKind = Literal[
    "line", "scroll", "wait-key", "choice", "name", "number", "setting", "picture", "unused", "end"
]


@dataclass(frozen=True)
class Command:
    code: int
    token: str  # yaze's token (canonical output)
    name: str  # what it does
    kind: CommandKind
    has_arg: bool = False
    aliases: tuple[str, ...] = ()  # zelda3 names and long forms, accepted on input

    @property
    def length(self) -> int:
        return 2 if self.has_arg else 1


COMMANDS: tuple[Command, ...] = (
    Command(0x67, "IMG", "next attract-mode picture", "picture", aliases=("NextPic",)),
    Command(0x68, "CH2I", "choose 1 of 2, indented (arrow on lines 2-3)", "choice", aliases=("Choose",)),
    Command(0x69, "CHI", "choose an item (bottle menu)", "choice", aliases=("Item",)),
    Command(0x6A, "L", "player's name", "name", aliases=("Name",)),
    Command(0x6B, "W", "window border", "setting", True, aliases=("Window",)),
    Command(0x6C, "N", "BCD number digit", "number", True, aliases=("Number",)),
    Command(0x6D, "P", "window position", "setting", True, aliases=("Position",)),
    Command(0x6E, "SPD", "scroll speed", "setting", True, aliases=("ScrollSpd",)),
    Command(0x6F, "CH2L", "choose 1 of 2, low", "choice", aliases=("Selchg",)),
    Command(0x70, "NONO", "crashes the game", "unused", aliases=("Unused_Crash", "Crash")),
    Command(0x71, "CH3", "choose 1 of 3", "choice", aliases=("Choose3",)),
    Command(0x72, "CH2", "choose 1 of 2, high", "choice", aliases=("Choose2",)),
    Command(0x73, "V", "scroll the box up one line", "scroll", aliases=("Scroll",)),
    Command(0x74, "1", "go to line 1", "line", aliases=("Line1",)),
    Command(0x75, "2", "go to line 2", "line", aliases=("Line2",)),
    Command(0x76, "3", "go to line 3", "line", aliases=("Line3",)),
    Command(0x77, "C", "text colour", "setting", True, aliases=("Color", "Colour")),
    Command(0x78, "WT", "wait (timer)", "setting", True, aliases=("Wait",)),
    Command(0x79, "SFX", "sound effect", "setting", True, aliases=("Sound",)),
    Command(0x7A, "S", "text draw speed", "setting", True, aliases=("Speed",)),
    Command(0x7B, "MARK", "unused tile command", "unused", aliases=("Unused_Mark",)),
    Command(0x7C, "MARK2", "unused tile command", "unused", aliases=("Unused_Mark2",)),
    Command(0x7D, "CLR", "clear the buffer (unused)", "unused", aliases=("Unused_Clear", "Clear")),
    Command(0x7E, "K", "wait for a key press", "wait-key", aliases=("Waitkey",)),
    Command(END, "END", "end of message", "end", aliases=("EndMessage",)),
)
assert [c.code for c in COMMANDS] == list(range(0x67, 0x80))

BY_CODE: dict[int, Command] = {c.code: c for c in COMMANDS}
ARG_COMMANDS: frozenset[int] = frozenset(c.code for c in COMMANDS if c.has_arg)
CHOICES: frozenset[int] = frozenset(c.code for c in COMMANDS if c.kind == "choice")
LINE_ROW: dict[int, int] = {0x74: 0, 0x75: 1, 0x76: 2}  # line command -> box row


def command(code: int) -> Command:
    try:
        return BY_CODE[code]
    except KeyError:
        raise ValueError(f"${code:02X} is not a text command") from None


def length_table() -> dict[int, int]:
    """Bytes each command byte occupies (itself + argument), as the game's table has it."""
    return {c.code: c.length for c in COMMANDS}
