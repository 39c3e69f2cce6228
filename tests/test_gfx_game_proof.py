"""The codecs against the game's own routines (usdasm, assembled by asar, run on our 65816 core),
when the environment names the public trees (kept outside the repository):

    TRIFORCE_GFX_TREES=/work/trees/usdasm:/work/trees/z3randomizer pytest tests/test_gfx_game_proof.py

usdasm supplies the routines; every tree is searched for real compressed files.
`TRIFORCE_GFX_PROVE_STREAMS` sets the number of random streams (default 10,000, as in
docs/benchmarks.md; `triforce gfx prove` prints the same counts).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from triforce.compress import decompress, parse_stream
from triforce.gfx.game import GameRoutines
from triforce.gfx.prove import prove
from triforce.gfx.tiles import decode_tiles

_TREES = [Path(p) for p in os.environ.get("TRIFORCE_GFX_TREES", "").split(os.pathsep) if p]
_USDASM = next((t for t in _TREES if (t / "bank_00.asm").is_file()), None)
_Z3R = next((t for t in _TREES if (t / "data" / "sheet73.gfx").is_file()), None)

pytestmark = pytest.mark.skipif(
    _USDASM is None, reason="set TRIFORCE_GFX_TREES to a usdasm checkout (and more)"
)


def test_hand_vectors_on_the_game() -> None:
    from test_compress_codec import VECTORS

    assert _USDASM is not None
    game = GameRoutines(_USDASM)
    for stream, expected in VECTORS:
        assert game.decompress(bytes.fromhex(stream), "gfx") == bytes.fromhex(expected), stream


@pytest.mark.slow
def test_the_codecs_do_what_the_game_does() -> None:
    assert _USDASM is not None
    streams = int(os.environ.get("TRIFORCE_GFX_PROVE_STREAMS", "10000"))
    report = prove(_USDASM, streams=streams, real=_TREES, workers=2)
    assert report.mismatches == 0, report.failures[:3]
    random_cases = sum(c.cases for k, c in report.checks.items() if k.endswith("/random"))
    assert random_cases == streams
    for name in (
        "expand/low",
        "expand/high",
        "oam/high-table",
        "decompress/gfx/stale",
        "compress/optimal/gfx",
    ):
        assert report.checks[name].cases > 0, name
    if _Z3R is not None:
        assert report.checks["decompress/real"].cases >= 12


@pytest.mark.skipif(
    _Z3R is None or not (_Z3R / ".git").exists(), reason="needs the z3randomizer git checkout"
)
def test_why_sheet73_differs_from_its_bin() -> None:
    """The pair matched when it was added (96e3db6); "Add castle hole shading" (a253648)
    redrew the compressed sheet with a new colour 7 but changed only 2 bytes of the .bin, so
    the .bin is a stale export, not the source of the shipped .gfx."""
    assert _Z3R is not None

    def show(rev: str, path: str) -> bytes:
        return subprocess.run(
            ["git", "-C", str(_Z3R), "show", f"{rev}:{path}"], capture_output=True, check=True
        ).stdout

    assert decompress(show("96e3db6", "sheet73.gfx")) == show("96e3db6", "sheet73.bin")
    now = decompress((_Z3R / "data" / "sheet73.gfx").read_bytes())
    old_bin = show("96e3db6", "sheet73.bin")
    new_bin = (_Z3R / "data" / "sheet73.bin").read_bytes()
    differ = [i for i in range(len(now)) if now[i] != new_bin[i]]
    assert len(differ) == 28 and {i // 24 for i in differ} == {11, 12, 27, 28}
    assert sum(a != b for a, b in zip(old_bin, new_bin, strict=True)) == 2
    new_tiles, bin_tiles = decode_tiles(now, 3), decode_tiles(new_bin, 3)
    new_colour = {
        new_tiles[t][r][x]
        for t in (11, 12, 27, 28)
        for r in range(8)
        for x in range(8)
        if new_tiles[t][r][x] != bin_tiles[t][r][x]
    }
    assert 7 in new_colour  # the shading colour the commit adds to the palette ($1BE8DA)
    assert parse_stream((_Z3R / "data" / "sheet73.gfx").read_bytes()).end == 1192
