"""Compression tasks (`compress.*`), graded by the game's own format (`triforce.compress`):

- `compress.decompress`: a stream in, the command walk and the output bytes out;
- `compress.compress`: data in, the smallest stream out (any stream that decompresses to the
  data, ends at its `$FF`, copies only written output, uses commands 0-4 and is as short as
  the optimal compressor's is right: many answers are);
- `compress.explain`: the command table of a stream;
- `compress.corrupt`: the first fault of a broken stream (offset and kind);
- `compress.header`: header bytes <-> command and length.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from triforce.compress import CorruptStream, check_stream, compress, encode_header, parse_stream
from triforce.compress.explain import format_table, table_problems
from triforce.compress.format import MAX_OUTPUT, OP_NAMES, Variant, decode_header, encode_offset
from triforce.compress.synth import random_stream
from triforce.gfx.text import format_db, parse_bytes

from .common import Made, bits, block, fence, json_block, request

ROUTINE = {
    "gfx": "Decompress ($00:E79E; copy positions little-endian)",
    "bank02": "Decompress_bank02 ($02:FEBB; copy positions big-endian)",
}
FORMAT_NOTE = (
    "Each command is a header byte `CCCLLLLL` (command C, length L+1), or `111CCCLL LLLLLLLL` for lengths "
    "up to 1024; $FF ends the stream. 0 copies literal bytes, 1 repeats a byte, 2 alternates two bytes, "
    "3 counts up from a byte, 4 copies earlier output from an absolute position, byte by byte."
)


@lru_cache(maxsize=512)
def optimal(data: bytes, variant: Variant) -> bytes:
    """The smallest stream (cached: a sample's make and check ask for the same one)."""
    return compress(data, variant)


def variant_of(user: str) -> Variant:
    if "Decompress_bank02" in user:
        return "bank02"
    if "Decompress (" in user:
        return "gfx"
    raise ValueError("the request names neither Decompress nor Decompress_bank02")


def _stream_block(stream: bytes) -> str:
    return fence("asm", format_db(stream))


def make_decompress(rng: random.Random, stream: bytes, variant: Variant, origin: str) -> Made:
    walked = parse_stream(stream, variant)
    user = request(rng, "decompress", routine=ROUTINE[variant]) + origin + "\n\n" + _stream_block(stream)
    odd = [c for c in walked.commands if c.code > 4]
    note = (
        f" Commands {', '.join(sorted({str(c.code) for c in odd}))} copy too: the game tests only bit 7 of the command."
        if odd
        else ""
    )
    answer = (
        f"{FORMAT_NOTE}{note}\n\n"
        + fence("text", format_table(walked))
        + f"\n\nThe output ({len(walked.output)} bytes):\n\n"
        + fence("asm", format_db(walked.output))
    )
    return Made("compress.decompress", user, answer, {"variant": variant})


def check_decompress(user: str, answer: str) -> list[str]:
    variant = variant_of(user)
    walked = parse_stream(parse_bytes(block(user, "asm", 0)), variant)
    problems = table_problems(block(answer, "text"), walked)
    got = parse_bytes(block(answer, "asm")) if walked.output else b""
    if got != walked.output:
        problems.append(f"the output is {len(walked.output)} bytes starting {walked.output[:8].hex(' ')}")
    return problems


def make_compress(rng: random.Random, data: bytes, variant: Variant, origin: str) -> Made:
    stream = optimal(data, variant)
    greedy = compress(data, variant, "greedy")
    walked = parse_stream(stream, variant)
    user = (
        request(rng, "compress", size=len(data), routine=ROUTINE[variant])
        + origin
        + "\n\n"
        + fence("asm", format_db(data))
    )
    answer = (
        f"{FORMAT_NOTE} The shortest stream comes from weighing, at every position, every command and "
        "length that fits there (fills while the bytes repeat, copies as long as an earlier match), and "
        f"keeping the cheapest way to reach each position.\n\n{fence('text', format_table(walked))}\n\n"
        f"{len(data)} bytes compress to {len(stream)} (a greedy parse would give {len(greedy)}):\n\n"
        + fence("asm", format_db(stream))
    )
    return Made(
        "compress.compress", user, answer, {"variant": variant, "optimal": len(stream), "greedy": len(greedy)}
    )


def check_compress(user: str, answer: str) -> list[str]:
    variant = variant_of(user)
    data = parse_bytes(block(user, "asm", 0))
    stream = parse_bytes(block(answer, "asm"))
    problems = check_stream(stream, data, variant)
    best = len(optimal(data, variant))
    if not problems and len(stream) != best:
        problems.append(f"the stream is {len(stream)} bytes; the smallest is {best}")
    m = re.search(r"(\d+) bytes compress to (\d+)", answer)
    if not m or int(m.group(1)) != len(data) or int(m.group(2)) != best:
        problems.append(f"the answer should say {len(data)} bytes compress to {best}")
    if not problems:
        problems += table_problems(block(answer, "text"), parse_stream(stream, variant))
    return problems


def make_explain(rng: random.Random, stream: bytes, variant: Variant, origin: str) -> Made:
    walked = parse_stream(stream, variant)
    user = request(rng, "explain", routine=ROUTINE[variant]) + origin + "\n\n" + _stream_block(stream)
    kinds = sorted({OP_NAMES[c.op] for c in walked.commands})
    answer = (
        f"{FORMAT_NOTE}\n\n"
        + fence("text", format_table(walked))
        + f"\n\n{len(walked.commands)} commands ({', '.join(kinds) or 'none'}) write {len(walked.output)} bytes; "
        f"the stream ends with $FF at offset {walked.end - 1}."
    )
    return Made("compress.explain", user, answer, {"variant": variant})


def check_explain(user: str, answer: str) -> list[str]:
    walked = parse_stream(parse_bytes(block(user, "asm", 0)), variant_of(user))
    problems = table_problems(block(answer, "text"), walked)
    m = re.search(
        r"(\d+) commands \(.*?\) write (\d+) bytes; the stream ends with \$FF at offset (\d+)", answer
    )
    if not m or (int(m.group(1)), int(m.group(2)), int(m.group(3))) != (
        len(walked.commands),
        len(walked.output),
        walked.end - 1,
    ):
        problems.append("the summary line does not match the stream")
    return problems


def _corrupt(rng: random.Random, stream: bytes, variant: Variant) -> tuple[bytes, int | None]:
    """A broken copy of a good stream, and the output limit the request states (or None)."""
    walked = parse_stream(stream, variant)
    kind = rng.randrange(3)
    total = len(walked.output)
    if kind == 1 and walked.commands:  # a copy from output not written yet
        c = rng.choice(walked.commands)
        source = c.out_start + rng.randrange(0, 64)
        head = encode_header(4, rng.randrange(1, 17))
        return stream[: c.offset] + head + encode_offset(source, variant) + stream[c.offset :], None
    if kind == 2 and total > 1:  # more output than the buffer holds
        return stream, rng.randrange(max(1, total // 3), total)
    return stream[: rng.randrange(1, len(stream))] if len(stream) > 1 else b"\x03", None  # cut short


def _fault(stream: bytes, variant: Variant, limit: int | None) -> CorruptStream:
    try:
        parse_stream(stream, variant, limit=limit or MAX_OUTPUT)
    except CorruptStream as exc:
        return exc
    raise ValueError("the stream is not broken")


def make_corrupt(rng: random.Random, stream: bytes, variant: Variant, origin: str) -> Made:
    broken, limit = _corrupt(rng, stream, variant)
    fault = _fault(broken, variant, limit)
    before = parse_stream(broken[: fault.offset] + b"\xff", variant)  # the good commands before it
    limit_text = f" (its output buffer holds {limit} bytes)" if limit else ""
    user = request(rng, "corrupt", routine=ROUTINE[variant], limit_text=limit_text) + origin
    user += "\n\n" + _stream_block(broken)
    walk = fence("text", format_table(before, end_row=False)) + "\n\n" if before.commands else ""
    answer = (
        f"{FORMAT_NOTE} Walking it:\n\n{walk}"
        f"The first fault is at offset {fault.offset} (${fault.offset:04X}): {fault.detail}.\n\n"
        + fence("json", f'{{"offset": {fault.offset}, "problem": "{fault.code}"}}')
    )
    return Made("compress.corrupt", user, answer, {"variant": variant, "problem": fault.code})


def check_corrupt(user: str, answer: str) -> list[str]:
    variant = variant_of(user)
    stream = parse_bytes(block(user, "asm", 0))
    m = re.search(r"holds (\d+) bytes", user)
    fault = _fault(stream, variant, int(m.group(1)) if m else None)
    got = json_block(answer)
    if got != {"offset": fault.offset, "problem": fault.code}:
        return [f"the first fault is {fault.code} at offset {fault.offset}, the answer says {got}"]
    before = parse_stream(stream[: fault.offset] + b"\xff", variant)
    if before.commands:
        return table_problems(block(answer, "text"), before, end_row=False)
    return []


def make_header(rng: random.Random) -> Made:
    if rng.random() < 0.5:
        code = rng.randrange(5)
        length = rng.choice((rng.randrange(1, 33), rng.randrange(33, 1025), 32, 33, 1024))
        head = encode_header(code, length)
        user = request(rng, "header_encode", op=f"{OP_NAMES[code]} (command {code})", length=length)
        if len(head) == 1:
            how = f"{length} fits the short form: {bits(code, 3)} {bits(length - 1, 5)} = ${head[0]:02X}"
        else:
            n = length - 1
            how = (
                f"{length} needs the long form: 111 {bits(code, 3)} {bits(n >> 8, 2)} {bits(n & 0xFF, 8)} "
                f"= ${head[0]:02X} ${head[1]:02X}"
            )
        answer = f"The length is stored minus one. {how}.\n\n" + fence(
            "json", f'{{"header": "{head.hex(" ").upper()}"}}'
        )
        return Made("compress.header", user, answer, {"mode": "encode"})
    long = rng.random() < 0.5
    code = rng.randrange(8 if long else 7)
    length = rng.randrange(1, (769 if code == 7 else 1025) if long else 33)
    head = encode_header(code, length, long=long)
    user = request(rng, "header_decode", header=" ".join(f"${b:02X}" for b in head))
    acts = OP_NAMES[min(code, 4)] + (" (the game treats it as a copy)" if code > 4 else "")
    if long:
        how = (
            f"${head[0]:02X} has its top three bits set, so it is the long form 111CCCLL LLLLLLLL: "
            f"command {bits(code, 3)} = {code}, length %{bits(length - 1, 10)} + 1 = {length}"
        )
    else:
        how = f"${head[0]:02X} = {bits(code, 3)} {bits(length - 1, 5)}: command {code}, length {length - 1} + 1 = {length}"
    answer = f"{how}. Command {code} is {acts}.\n\n" + fence(
        "json", f'{{"command": {code}, "length": {length}, "acts_as": "{OP_NAMES[min(code, 4)]}"}}'
    )
    return Made("compress.header", user, answer, {"mode": "decode"})


def check_header(user: str, answer: str) -> list[str]:
    got = json_block(answer)
    if enc := re.search(r"\(command (\d)\) command of (\d+) bytes", user):
        head = encode_header(int(enc.group(1)), int(enc.group(2)))
        want: dict[str, object] = {"header": head.hex(" ").upper()}
    elif dec := re.search(r"command header ((?:\$[0-9A-F]{2} ?){1,2})", user):
        raw = bytes(int(v, 16) for v in re.findall(r"\$([0-9A-F]{2})", dec.group(1)))
        code, length, size = decode_header(raw)
        if size != len(raw):
            return [f"the request's header is {size} byte(s), it shows {len(raw)}"]
        want = {"command": code, "length": length, "acts_as": OP_NAMES[min(code, 4)]}
    else:
        return ["the request names no header"]
    return [] if got == want else [f"the answer should be {want}"]


def synthetic_stream(rng: random.Random, variant: Variant, data: bytes) -> bytes:
    """A stream for a request: our optimal stream of the data, or (one in four) a random stream that
    uses every command, 5-7 included."""
    if rng.random() < 0.25:
        return random_stream(rng, variant, max_output=160)
    return optimal(data, variant)


CHECKS = {
    "compress.decompress": check_decompress,
    "compress.compress": check_compress,
    "compress.explain": check_explain,
    "compress.corrupt": check_corrupt,
    "compress.header": check_header,
}
