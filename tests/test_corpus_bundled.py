"""The bundled corpus: enough routines, each documented and tagged, each assembling with the real
asar on its own (standalone) and all together (main.asm), at the addresses the reader computed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from triforce.corpus import BUNDLED_DIR, bundled_corpus
from triforce.snes.asar import find_asar


@pytest.fixture(scope="module")
def corpus():
    return bundled_corpus()


@pytest.fixture(scope="module")
def asar() -> Path:
    return find_asar().path


def _assemble(asar: Path, source_dir: Path, name: str, text: str) -> subprocess.CompletedProcess[str]:
    src = source_dir / f"{name}.asm"
    src.write_text(text)
    return subprocess.run(
        [str(asar), "--no-title-check", "--symbols=wla", f"--symbols-path={source_dir / (name + '.sym')}",
         str(src), str(source_dir / f"{name}.sfc")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_enough_documented_routines(corpus) -> None:
    assert len(corpus.routines) >= 60
    assert not corpus.files_skipped and not corpus.missing_includes
    names = [r.qualified_name for r in corpus.routines]
    assert len(names) == len(set(names))
    for r in corpus.routines:
        assert r.doc, f"{r.name} has no doc comment"
        assert r.tags.entry is not None, f"{r.name} has no @entry tag"
        assert r.tags.tests, f"{r.name} has no @test seed"
        assert r.returns in ("rts", "rtl"), r.name
        assert r.provenance.origin == "original" and r.provenance.file


def test_covers_the_themes(corpus) -> None:
    bodies = "\n".join(r.body for r in corpus.routines).upper()
    for needle in ("MVN", "MVP", "PHB", "PLB", "PHK", "PHP", "PLP", "PHD", "PLD", "JSL", "JSR", "SED",
                   "$004202", "$004204", "$004216", "$004214", "XBA", "TSB", "TRB", ",S"):  # fmt: skip
        assert needle in bodies, needle
    touched = {ref.address for r in corpus.routines for ref in r.ram}
    for address in (0x7EF360, 0x7EF362, 0x7EF36C, 0x7EF36D, 0x7EF36E, 0x7EF36F, 0x7EF377, 0x7EF343,
                    0x7EF340, 0x7E0010, 0x7E001A, 0x7E0020, 0x7E0022):  # fmt: skip
        assert address in touched, hex(address)
    by_name = corpus.by_name()
    assert "Rupees_Add" in by_name["Pickup_Rupee"].calls
    assert "Score_AddLocal" in by_name["Score_AddLong"].calls


def test_main_assembles_at_the_addresses_read(corpus, asar, tmp_path) -> None:
    main = (BUNDLED_DIR / "main.asm").read_text()
    for path in BUNDLED_DIR.glob("*.asm"):
        (tmp_path / path.name).write_text(path.read_text())
    proc = _assemble(asar, tmp_path, "main", main)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in (proc.stdout + proc.stderr).lower()
    symbols = {}
    for line in (tmp_path / "main.sym").read_text().splitlines():
        m = re.match(r"([0-9A-Fa-f]{2}):([0-9A-Fa-f]{4}) (\S+)", line)
        if m:
            symbols[m.group(3)] = int(m.group(1) + m.group(2), 16)
    for r in corpus.routines:
        assert r.address == symbols[r.qualified_name], r.name


def test_each_standalone_assembles(corpus, asar, tmp_path) -> None:
    failures = []
    for r in corpus.routines:
        text = r.standalone()
        assert r.body.strip() in text
        proc = _assemble(asar, tmp_path, r.name, text)
        if proc.returncode != 0:
            failures.append(f"{r.name}: {proc.stdout}{proc.stderr}")
    assert not failures, "\n".join(failures)
