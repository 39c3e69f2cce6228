"""Verify, then escalate, for graphics, compression and dialogue: the request is read into a
grading spec, the specialist's answer is proven with the truth machines (tile codec, LC_LZ2,
the text engine's layout checker), and a failed answer goes to triforce-sage with the finding.

Expected values below are worked out by hand (not by the code under test): a 2bpp row of
colours 0,1,2,3,0,1,2,3 has plane 0 = %01010101 = $55 and plane 1 = %00110011 = $33; sixteen
$AA bytes are one repeat command `001 01111` = $2F, its byte, and the $FF end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serve_helpers import chat, overrides, serving
from triforce.serve.domain_checks import (
    check_compression,
    check_dialogue,
    check_graphics,
    compression_spec,
    dialogue_spec,
    graphics_spec,
)
from triforce.serve.gateway import Gateway
from triforce.serve.loopback import LoopbackUpstream
from triforce.serve.verify import CheckContext, Verifier, VerifyRequest

TILE_ROWS = "\n".join(["01230123"] * 8)
TILE_BYTES = ", ".join(["$55, $33"] * 8)
ENCODE = (
    "Encode this 8x8 tile as SNES 2bpp data (16 bytes). Pixel colour indices, top row first:\n\n"
    f"```text\n{TILE_ROWS}\n```"
)
ENCODED = f"Plane 0 then plane 1 per row:\n\n```asm\n    db {TILE_BYTES}\n```"
ENCODED_SWAPPED = "```asm\n    db " + ", ".join(["$33, $55"] * 8) + "\n```"  # planes swapped
ENCODED_NO_PLANE1 = "```asm\n    db " + ", ".join(["$55, $00"] * 8) + "\n```"  # colours 0 and 1 only

DECODE = f"Decode this 2bpp tile (16 bytes) into its 8x8 colour indices:\n\n```asm\n    db {TILE_BYTES}\n```"
DECODED = f"```text\n{TILE_ROWS}\n```"
DECODED_WRONG = "```text\n" + "\n".join(["02130213"] * 8) + "\n```"

COMPRESS = (
    "Compress these 16 bytes for Decompress ($00:E79E; copy positions little-endian), as small as "
    "the format allows.\n\n```asm\n    db " + ", ".join(["$AA"] * 16) + "\n```"
)
STREAM = "One repeat command:\n\n```asm\n    db $2F, $AA, $FF\n```"
STREAM_SHORT = "```asm\n    db $2E, $AA, $FF\n```"  # repeats 15 times, not 16
STREAM_LONG = (
    "```asm\n    db $0F, " + ", ".join(["$AA"] * 16) + ", $FF\n```"
)  # literal: right bytes, 18 not 3

DECOMPRESS = (
    "Decompress this stream with Decompress ($00:E79E; copy positions little-endian). Walk it command "
    "by command, then give the output bytes.\n\n```asm\n    db $2F, $AA, $FF\n```"
)
OUTPUT = "The output (16 bytes):\n\n```asm\n    db " + ", ".join(["$AA"] * 16) + "\n```"

WRITE = (
    "Write what the old man in the cave says to the player. The message must mention: lamp. Fit the "
    "ALTTP text box: lines of at most 168 px with 42 px for the player's name, a key press every three lines."
)
MESSAGE = "```text\nAh, [L]! You found my\n[2]cave at last. Take this lamp\n[3]with you.\n```"
OVERFLOWS = "```text\nAh, [L]! You found my cave at last. Take this lamp with you.\n```"  # one 400+ px line
NO_LAMP = "```text\nAh, [L]! You found my\n[2]cave at last. Take this\n[3]with you.\n```"

DECODE_TEXT = (
    "Decode these ALTTP message bytes into bracket-token text:\n\n"
    "```asm\ndb $07, $1E, $25, $25, $28, $42, $59, $6A, $3E, $7F\n```"
)


def ctx(text: str) -> CheckContext:
    return CheckContext(messages=[{"role": "user", "content": text}])


# -- the checkers on their own ------------------------------------------------------------------


def test_graphics_checker_reads_the_task_and_proves_the_data() -> None:
    assert graphics_spec(ENCODE)[0] == {
        "kind": "gfx-tile",
        "bpp": 2,
        "tiles": 1,
        "pixels": [["01230123"] * 8],
    }
    assert check_graphics(ENCODED, ctx(ENCODE)).status == "passed"
    swapped = check_graphics(ENCODED_SWAPPED, ctx(ENCODE))
    assert swapped.status == "failed" and "row 0 col 1" in swapped.reason
    assert check_graphics(DECODED, ctx(DECODE)).status == "passed"
    assert check_graphics(DECODED_WRONG, ctx(DECODE)).status == "failed"
    rgb = "Convert these 8-bit RGB colours to SNES BGR555 words:\n\n```text\n(255, 0, 0)\n(0, 0, 255)\n```"
    assert check_graphics("```asm\n    dw $001F, $7C00\n```", ctx(rgb)).status == "passed"
    assert check_graphics("```asm\n    dw $7C00, $001F\n```", ctx(rgb)).status == "failed"  # BGR, not RGB
    words = "What RGB colours are these SNES palette words? Expand with replicate.\n\n```asm\n    dw $7FFF, $001F\n```"
    assert check_graphics("```json\n[[255, 255, 255], [255, 0, 0]]\n```", ctx(words)).status == "passed"
    assert check_graphics("```json\n[[248, 248, 248], [248, 0, 0]]\n```", ctx(words)).status == "failed"
    tilemap = "Compose the BG tilemap entry for tile $123, palette 5, priority yes, H-flip no, V-flip yes."
    # %1 0 1 101 01 0010 0011: V, priority, palette 5, tile $123 -> $B523
    assert check_graphics('```json\n{"word": "$B523"}\n```', ctx(tilemap)).status == "passed"
    assert check_graphics('```json\n{"word": "$3523"}\n```', ctx(tilemap)).status == "failed"
    # CGRAM: sprite palette 2 is row 8 + 2 = 10; colour 3 is 16 x 10 + 3 = 163, byte 326 = $146.
    cgram = "Which CGRAM slot holds colour 3 of sprite palette 2? I need the colour number, the byte offset and the $7EC500 buffer address."
    where = '{"cgram_index": 163, "cgram_byte": 326, "buffer_address": "$7EC646"}'
    assert check_graphics(where, ctx(cgram)).status == "passed"
    assert check_graphics(where.replace("163", "35"), ctx(cgram)).status == "failed"  # BG row 2, not 10
    # 3bpp -> 4bpp: planes 0/1 $55/$33 and plane 2 $0F on every row; Do3To4High makes plane 3
    # $55|$33|$0F = $7F, Do3To4Low leaves it $00. Sprite sheet $52 is one the game expands high.
    tile3 = ", ".join(["$55, $33"] * 8 + ["$0F"] * 8)
    expand = (
        "{where} Expand this ALTTP 3bpp tile to the 4bpp bytes the game uploads:\n\n```asm\n    db "
        + tile3
        + "\n```"
    )
    high = "```asm\n    db " + ", ".join(["$55, $33"] * 8 + ["$0F, $7F"] * 8) + "\n```"
    low = high.replace("$0F, $7F", "$0F, $00")
    for said, right, wrong in (
        ("The game expands it with Do3To4High.", high, low),
        ("It is sprite sheet $52, loaded by LoadSpriteGraphics.", high, low),
        ("It is sprite sheet $40, loaded by LoadSpriteGraphics.", low, high),
    ):
        assert check_graphics(right, ctx(expand.format(where=said))).status == "passed", said
        assert check_graphics(wrong, ctx(expand.format(where=said))).status == "failed", said
    unsaid = check_graphics(high, ctx(expand.format(where="")))
    assert unsaid.status == "unchecked" and "how the game loads" in unsaid.reason
    # OAM entry 5 at X=300, Y=16, tile $101, palette 2, priority 3, H-flip, large: low table
    # X low $2C, Y $10, tile low $01, YXPPCCCT = 0 1 11 010 1 = $75; high bits X8=1, size=1 -> 3,
    # in byte 512 + 5/4 = 513 at shift 2 x (5 % 4) = 2.
    compose = (
        "Build OAM entry 5 for a sprite at X=300, Y=16, tile $101, palette 2, priority 3, H-flip yes, "
        "V-flip no, large size. Give the 4 low-table bytes and its high-table bits."
    )
    built = '{"low_bytes": "2C 10 01 75", "high_bits": 3, "high_table_byte": 513, "high_table_shift": 2}'
    assert check_graphics(built, ctx(compose)).status == "passed"
    assert check_graphics(built.replace("75", "35"), ctx(compose)).status == "failed"  # H-flip lost
    explain = "OAM entry 5 holds the bytes 2C 10 01 75 and its high-table bits are %11. Describe the sprite."
    fields = (
        '{"x": 300, "y": 16, "tile": 257, "palette": 2, "priority": 3, "hflip": true, "vflip": false, '
        '"large": true, "screen_x": -212}'
    )
    assert check_graphics(fields, ctx(explain)).status == "passed"
    assert check_graphics(fields.replace("-212", "300"), ctx(explain)).status == "failed"  # 9-bit X
    # A routine that writes colours is code: proven as code, with the call the request describes.
    routine = (
        "Write a 65816 routine `SetRed` (called with JSL) that puts (255, 0, 0) into colour 1 of "
        "ALTTP's palette buffer at $7EC500. It must keep the caller's P."
    )
    code = "```asm\nSetRed:\n  PHP\n  REP #$20\n  LDA #$001F\n  STA $7EC502\n  PLP\n  RTL\n```"
    as_code = check_graphics(code, ctx(routine))
    assert (as_code.checker, as_code.status) == ("graphics:asm", "passed")
    assert check_graphics(code.replace("RTL", "RTS"), ctx(routine)).status == "failed"
    # Nothing checkable: said so, with the reason.
    prose = check_graphics("Sprites live in OAM.", ctx("How do sprites work on the SNES?"))
    assert (prose.status, prose.code) == ("unchecked", "no-task")
    assert check_graphics("It is a tile of stripes.", ctx(DECODE)).status == "unchecked"  # no pixels to prove


def test_compression_checker_runs_the_games_codec() -> None:
    assert compression_spec(COMPRESS)[0] == {
        "kind": "lz-compress",
        "data": "aa" * 16,
        "variant": "gfx",
        "max_bytes": 3,
    }
    assert check_compression(STREAM, ctx(COMPRESS)).status == "passed"
    short = check_compression(STREAM_SHORT, ctx(COMPRESS))
    assert short.status == "failed" and "decompresses to the data" in str(short.checks)
    long = check_compression(STREAM_LONG, ctx(COMPRESS))  # right data, but not as small as asked
    assert long.status == "failed" and "18 bytes, at most 3" in str(long.checks)
    loose = COMPRESS.replace(", as small as the format allows", "")
    assert check_compression(STREAM_LONG, ctx(loose)).status == "passed"  # any valid stream
    assert check_compression(OUTPUT, ctx(DECOMPRESS)).status == "passed"
    wrong = check_compression(OUTPUT.replace("$AA\n", "$AB\n"), ctx(DECOMPRESS))
    assert wrong.status == "failed" and "byte 15" in wrong.reason
    bank02 = compression_spec(DECOMPRESS.replace("Decompress ($00:E79E", "Decompress_bank02 ($02:FEBB"))[0]
    assert bank02 is not None and bank02["variant"] == "bank02"
    cut = DECOMPRESS.replace("db $2F, $AA, $FF", "db $2F")  # a header whose byte never comes
    assert (compression_spec(cut)[0] or {}).get("kind") == "lz-corrupt"
    # The game's walk faults at the command whose argument is missing: offset 0.
    assert (
        check_compression('```json\n{"offset": 0, "problem": "truncated"}\n```', ctx(cut)).status == "passed"
    )
    assert (
        check_compression('```json\n{"offset": 1, "problem": "truncated"}\n```', ctx(cut)).status == "failed"
    )
    header = "Decode the command header $E4 $20: which command and how many output bytes?"
    # 111 001 00 00100000: command 1, length %00 0010 0000 + 1 = 33
    assert check_compression('{"command": 1, "length": 33}', ctx(header)).status == "passed"
    assert check_compression('{"command": 1, "length": 32}', ctx(header)).status == "failed"


def test_dialogue_checker_lays_the_message_out() -> None:
    spec, task = dialogue_spec(WRITE)
    assert spec == {"kind": "dialogue", "task": "write", "facts": ["lamp"]} and "lamp" in task
    assert check_dialogue(MESSAGE, ctx(WRITE)).status == "passed"
    over = check_dialogue(OVERFLOWS, ctx(WRITE))
    assert over.status == "failed" and "168" in str(over.checks)
    assert check_dialogue(NO_LAMP, ctx(WRITE)).status == "failed"
    # Prose is not a message: a long one-line answer without a block, or a question about text.
    prose = "The old man should greet Link warmly, mention the lamp and point him to the dark cave path."
    assert check_dialogue(prose, ctx(WRITE)).status == "unchecked"
    question = check_dialogue(OVERFLOWS, ctx("What does the [K] command do in ALTTP text?"))
    assert (question.status, question.code) == ("unchecked", "no-task")
    assert check_dialogue("```text\nHello, [L]!\n```", ctx(DECODE_TEXT)).status == "passed"
    assert check_dialogue("```text\nHello, Link!\n```", ctx(DECODE_TEXT)).status == "failed"
    encode = "Encode this message as US ROM text bytes, without dictionary compression, with the end byte:\n\n```text\nHello, [L]!\n```"
    good = "```asm\ndb $07, $1E, $25, $25, $28, $42, $59, $6A, $3E, $7F\n```"
    assert check_dialogue(good, ctx(encode)).status == "passed"
    assert check_dialogue(good.replace(", $7F", ""), ctx(encode)).status == "failed"  # no end byte
    fix = (
        "This message overflows the ALTTP text box (168 px lines, 42 px for [L]). Say which line and fix it, "
        "keeping the words:\n\n```text\nAh, [L]! You found my cave at last. Take this lamp\n[2]with you.\n```"
    )
    assert check_dialogue(MESSAGE, ctx(fix)).status == "passed"
    assert check_dialogue(MESSAGE.replace("lamp", "torch"), ctx(fix)).status == "failed"  # a word changed


def test_a_model_of_two_checkable_domains_gets_the_checker_that_knows_the_task() -> None:
    verifier = Verifier()
    checker = verifier.select(VerifyRequest(True), ("graphics", "compression"))
    assert checker is not None and checker[0] == "graphics+compression"
    outcome = checker[1](STREAM_SHORT, ctx(COMPRESS))
    assert (outcome.checker, outcome.status) == ("compression", "failed")
    none = checker[1]("hello", ctx("Tell me about the SNES."))
    assert none.status == "unchecked" and "graphics:" in none.reason and "compression:" in none.reason


# -- through the gateway: pass, fail -> escalate -> pass, fail -> escalate -> fail ---------------

DOMAINS = {
    #            request     good      bad            another bad       specialist
    "graphics": (ENCODE, ENCODED, ENCODED_SWAPPED, ENCODED_NO_PLANE1, "seph-tilesmith"),
    "compression": (COMPRESS, STREAM, STREAM_SHORT, STREAM_LONG, "seph-tilesmith"),
    "dialogue": (WRITE, MESSAGE, OVERFLOWS, NO_LAMP, "saria-voice"),
}


@pytest.fixture(scope="module")
def ups() -> Iterator[tuple[LoopbackUpstream, LoopbackUpstream]]:
    pair = LoopbackUpstream().start_in_thread(), LoopbackUpstream().start_in_thread()
    yield pair
    for up in pair:
        up.stop()


@pytest.fixture(scope="module")
def gateway(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> Gateway:
    return Gateway.from_files(overrides=overrides(*ups))


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_each_domain_passes_escalates_and_fails_through_the_gateway(
    ups: tuple[LoopbackUpstream, LoopbackUpstream], gateway: Gateway, domain: str
) -> None:
    specialists, big = ups
    ask, good, bad, other_bad, specialist = DOMAINS[domain]
    results = {}
    with serving(gateway) as (_srv, c):
        for scenario, first, second in (
            ("pass", good, bad),
            ("rescued", bad, good),
            ("failed", bad, other_bad),
        ):
            specialists.reset()
            big.reset()
            specialists.answers[specialist] = first
            big.answers["triforce-sage"] = second
            r = chat(c, "oracle-council", ask, x_triforce={"verify": True})
            assert r.status_code == 200, r.text
            results[scenario] = (r, [dict(m) for m in big.requests])
    r, sage_asked = results["pass"]
    verify = r.json()["x_triforce"]["verify"]
    assert r.json()["model"] == specialist and r.json()["choices"][0]["message"]["content"] == good
    assert (verify["checker"], verify["status"], verify["escalations"]) == (domain, "passed", 0)
    assert verify["attempts"][0]["checks"][0]["name"] == "request" and not sage_asked

    r, sage_asked = results["rescued"]
    verify = r.json()["x_triforce"]["verify"]
    assert r.json()["model"] == "triforce-sage" and r.json()["choices"][0]["message"]["content"] == good
    assert [a["status"] for a in verify["attempts"]] == ["failed", "passed"]
    assert verify["answered_by"] == "triforce-sage" and r.headers["X-Triforce-Verified"] == "passed"
    messages = sage_asked[-1]["body"]["messages"]
    assert messages[-2] == {"role": "assistant", "content": bad}
    assert (
        f"({domain})" in messages[-1]["content"]
        and verify["attempts"][0]["reason"][:40] in messages[-1]["content"]
    )

    r, _ = results["failed"]
    verify = r.json()["x_triforce"]["verify"]
    assert r.headers["X-Triforce-Verified"] == "failed" and verify["status"] == "failed"
    assert [a["status"] for a in verify["attempts"]] == ["failed", "failed"]
    assert r.json()["choices"][0]["message"]["content"] == other_bad


def test_the_official_openai_client_asks_for_verification(
    ups: tuple[LoopbackUpstream, LoopbackUpstream], gateway: Gateway
) -> None:
    openai = pytest.importorskip("openai")
    specialists, big = ups
    specialists.reset()
    big.reset()
    specialists.answers["seph-tilesmith"] = STREAM_SHORT
    big.answers["triforce-sage"] = STREAM
    with serving(gateway) as (srv, _c):
        oai = openai.OpenAI(base_url=f"{srv.url}/v1", api_key="unused", max_retries=0, timeout=30)
        r = oai.chat.completions.create(
            model="oracle-council",
            messages=[{"role": "user", "content": COMPRESS}],
            extra_body={"x_triforce": {"verify": True}},
        )
    verify = (r.model_extra or {})["x_triforce"]["verify"]
    assert r.model == "triforce-sage" and r.choices[0].message.content == STREAM
    assert (verify["checker"], verify["status"], verify["escalations"]) == ("compression", "passed", 1)
