"""The ALTTP text engine (US ROM): bytes <-> tokens <-> readable text, dictionary compression,
the VWF width table, and a layout checker that renders a message line by line.

```python
from triforce.text import encode, decode, parse, check_text, LayoutRules, Dictionary
data = encode("[W:02]Hello, [L]![K]", dictionary=None)        # bytes, $7F included
text = decode(data)                                            # "[W:02]Hello, [L]![K]"
layout = check_text("A very long line ...", LayoutRules(name_px=42))
layout.lines   # [Line(index, row, pause, px, fixed_px, names, numbers, text, first_token)]
layout.problems  # [Problem(code, message, line, token, px, word)]; layout.ok / layout.clean
```
The vanilla dictionary and messages are read from a usdasm checkout (`triforce.text.usdasm`),
never bundled. A floor-1 truth machine: no samples, grading or serving here.
"""

from __future__ import annotations

from triforce.text.banks import VANILLA_BANKS, Packing, TextBank, pack
from triforce.text.charset import GLYPHS, LINE_PX, width
from triforce.text.codec import MODES, TextDecodeError, compress, decode, encode, expand, from_bytes, to_bytes
from triforce.text.commands import ARG_COMMANDS, COMMANDS, Command
from triforce.text.dictionary import Dictionary
from triforce.text.layout import Layout, LayoutRules, Line, Problem, check, check_bytes, check_text
from triforce.text.tokens import TextSyntaxError, Token, char, cmd, format_tokens, parse, ref

__all__ = [
    "ARG_COMMANDS",
    "COMMANDS",
    "GLYPHS",
    "LINE_PX",
    "MODES",
    "VANILLA_BANKS",
    "Command",
    "Dictionary",
    "Layout",
    "LayoutRules",
    "Line",
    "Packing",
    "Problem",
    "TextBank",
    "TextDecodeError",
    "TextSyntaxError",
    "Token",
    "char",
    "check",
    "check_bytes",
    "check_text",
    "cmd",
    "compress",
    "decode",
    "encode",
    "expand",
    "format_tokens",
    "from_bytes",
    "pack",
    "parse",
    "ref",
    "to_bytes",
    "width",
]
