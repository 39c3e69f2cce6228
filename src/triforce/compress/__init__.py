"""ALTTP's compression format (the community's "LC_LZ2"), proven against the game's routines.

```python
from triforce.compress import compress, decompress, parse_stream, check_stream, CorruptStream
stream = compress(data, variant="gfx", mode="optimal")   # or "greedy"; variant "bank02"
assert decompress(stream) == data
parse_stream(stream).commands      # [Command(offset, header, code, length, arg, out_start, source)]
```
"""

from triforce.compress.compress import MODES, Mode, Step, compress, encode, plan
from triforce.compress.decompress import Stream, check_stream, decompress, parse_stream
from triforce.compress.format import (
    MAX_OUTPUT,
    OP_NAMES,
    VARIANT_HELP,
    VARIANTS,
    Command,
    CorruptStream,
    Variant,
    encode_header,
)

__all__ = [
    "MAX_OUTPUT",
    "MODES",
    "OP_NAMES",
    "VARIANTS",
    "VARIANT_HELP",
    "Command",
    "CorruptStream",
    "Mode",
    "Step",
    "Stream",
    "Variant",
    "check_stream",
    "compress",
    "decompress",
    "encode",
    "encode_header",
    "parse_stream",
    "plan",
]
