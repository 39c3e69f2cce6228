"""Sources by name: the manifest, `triforce sources list|fetch|path`, `--source NAME`, and the
sizes of the binaries an asm tree leaves out. Fetches run against a local git repository
(file:// remote, a manifest of our own), never the network."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triforce.cli import app
from triforce.corpus import sources
from triforce.errors import InputError

REAL = {
    "usdasm": ("spannerisms/usdasm", "d53311a54acd34f5e9ff3d92a03b213292f1db10"),
    "jpdasm": ("spannerisms/jpdasm", "d078addd79e888c0d048fe5250d2c665ccf61628"),
    "oracle-of-secrets": ("scawful/Oracle-of-Secrets", "f55fbed8aafcac84f31127fcc98ea4382437343b"),
    "zelda3": ("snesrev/zelda3", "fbbb3f967a51fafe642e6140d0753979e73b4090"),
    "z3randomizer": ("KatDevsGames/z3randomizer", "637b659af27151e9fee84461f1c9f97891e151e5"),
    "yaze": ("scawful/yaze", "d02784a79afa334f566ffc260a353a98af45df19"),
}

# A disassembly-like tree written for this test: three binaries it leaves out, one it holds.
BANK = """\
; a small LoROM layout
org $008000
Reset:
#_008000: SEI
#_008001: RTS

Tiles: #_00FF00: incbin "bin/tiles.bin" ; size: 0x0180
Table: #_00FF80: db $01, $02
#_00FF82: incbin "bin/present.bin"
Pad:
#_00FF84: incbin "bin/crosses_bank.bin" ; size: 0x0100
#_018084: db $00
NoMarker: incbin "bin/nomarker.bin"
#_0180F0: incbin "bin/last.bin"
"""


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def local_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """A git repository with two commits (the pin is the first), a manifest naming it, and an
    empty cache folder; returns (repo, pinned commit, later commit)."""
    repo = tmp_path / "remote"
    (repo / "bin").mkdir(parents=True)
    (repo / "bank_00.asm").write_text(BANK)
    (repo / "bin" / "present.bin").write_bytes(b"\x01\x02")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "pinned")
    pinned = _git(repo, "rev-parse", "HEAD").strip()
    (repo / "later.asm").write_text("; a later change\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "later")
    later = _git(repo, "rev-parse", "HEAD").strip()
    manifest = tmp_path / "sources.yaml"
    manifest.write_text(
        "minidasm:\n"
        "  url: https://example.invalid/minidasm\n"
        f"  commit: {pinned}\n"
        "  license: MIT\n"
        "  origin: vanilla-disassembly\n"
        "  kind: asm\n"
        "  mapper: lorom\n"
        "  description: a test tree\n"
        "  feeds: [tests]\n"
    )
    monkeypatch.setenv("TRIFORCE_SOURCES_MANIFEST", str(manifest))
    monkeypatch.setenv("TRIFORCE_SOURCES_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TRIFORCE_SOURCE_URL_MINIDASM", repo.as_uri())
    return repo, pinned, later


def test_packaged_manifest_names_every_tree_at_its_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIFORCE_SOURCES_MANIFEST", raising=False)
    trees = sources.manifest()
    assert set(trees) == set(REAL)
    for name, (repo, commit) in REAL.items():
        t = trees[name]
        assert t.url == f"https://github.com/{repo}"
        assert t.commit == commit
        assert t.license and t.feeds and t.description
    assert trees["usdasm"].origin == "vanilla-disassembly"
    assert trees["zelda3"].origin == "commercial-derived"
    assert trees["yaze"].kind == "cpp"
    assert sources.lookup("Oracle_of_Secrets") is trees["oracle-of-secrets"]
    with pytest.raises(InputError, match="known: usdasm"):
        sources.tree("nosuchdasm")


def test_fetch_clones_the_pinned_commit_not_the_newest(local_tree: tuple[Path, str, str]) -> None:
    _repo, pinned, later = local_tree
    path = sources.fetch("minidasm")
    assert sources.head_commit(path) == pinned != later
    assert (path / "bank_00.asm").is_file() and not (path / "later.asm").exists()
    # idempotent, and nothing half-made left beside it
    assert sources.fetch("minidasm") == path
    assert [p.name for p in path.parent.iterdir()] == ["minidasm"]


def test_fetch_replaces_a_checkout_at_another_commit(local_tree: tuple[Path, str, str]) -> None:
    repo, pinned, later = local_tree
    dest = sources.checkout_path("minidasm")
    dest.parent.mkdir(parents=True)
    _git(dest.parent, "clone", "-q", repo.as_uri(), "minidasm")
    assert sources.head_commit(dest) == later
    with pytest.raises(InputError, match="not the pinned"):
        sources.resolve_source("minidasm")
    sources.fetch("minidasm")
    assert sources.head_commit(dest) == pinned


def test_fetch_of_a_commit_the_remote_lacks_fails_clearly(
    local_tree: tuple[Path, str, str], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q")
    (other / "x").write_text("x")
    _git(other, "add", ".")
    _git(other, "commit", "-q", "-m", "x")
    with pytest.raises(InputError, match="has no commit"):
        sources.fetch("minidasm", url=other.as_uri())
    assert not sources.checkout_path("minidasm").exists()
    assert [p.name for p in sources.cache_root().iterdir()] == []


def test_missing_binary_sizes_come_from_the_next_marker(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bank_00.asm").write_text(BANK)
    (tmp_path / "bin" / "present.bin").write_bytes(b"\x01\x02")
    got = {m.path: m for m in sources.missing_binaries(tmp_path)}
    assert set(got) == {"bin/tiles.bin", "bin/crosses_bank.bin", "bin/nomarker.bin", "bin/last.bin"}
    assert got["bin/tiles.bin"].size == 0x80 and got["bin/tiles.bin"].declared_size == 0x180
    assert got["bin/tiles.bin"].address == 0x00FF00
    assert got["bin/tiles.bin"].included_from == "bank_00.asm:7"
    # $00:FF84 + 0x100 crosses into bank $01 at $8000 (LoROM): the next marker is $01:8084
    assert got["bin/crosses_bank.bin"].size == 0x100 == got["bin/crosses_bank.bin"].declared_size
    assert got["bin/nomarker.bin"].size is None and "no address marker" in got["bin/nomarker.bin"].why_unknown
    assert got["bin/last.bin"].size is None and "follows" in got["bin/last.bin"].why_unknown


def test_cli_list_fetch_path_json(local_tree: tuple[Path, str, str], tmp_path: Path) -> None:
    _repo, pinned, _ = local_tree
    runner = CliRunner()
    before = runner.invoke(app, ["sources", "path", "minidasm"])
    assert before.exit_code == 1 and "sources fetch minidasm" in before.output
    fetched = runner.invoke(app, ["sources", "fetch", "minidasm", "--json"])
    assert fetched.exit_code == 0, fetched.output
    assert json.loads(fetched.output)[0]["commit"] == pinned
    shown = runner.invoke(app, ["sources", "path", "minidasm", "--json"])
    assert shown.exit_code == 0, shown.output
    row = json.loads(shown.output)
    assert row["fetched"] and row["checkout_commit"] == pinned and row["origin"] == "vanilla-disassembly"
    missing = row["missing_binaries"]
    assert missing["files"] == 4 and missing["unknown_size"] == 2
    assert missing["bytes"] == 0x80 + 0x100
    assert missing["disagree_with_declared"] == 1  # tiles.bin: the comment says 0x180, markers 0x80
    listed = runner.invoke(app, ["sources", "list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["missing_binaries"]["files"] == 4
    plain = runner.invoke(app, ["sources", "path", "minidasm"])
    assert plain.exit_code == 0 and plain.output.strip() == str(sources.checkout_path("minidasm"))


def test_source_by_name_in_commands(local_tree: tuple[Path, str, str]) -> None:
    runner = CliRunner()
    unfetched = runner.invoke(app, ["cpp", "scan", "minidasm"])
    assert isinstance(unfetched.exception, InputError) and "'minidasm' names the source tree" in str(
        unfetched.exception
    )
    assert "not fetched yet: run `triforce sources fetch minidasm`" in str(unfetched.exception)
    sources.fetch("minidasm")
    assert sources.resolve_source("minidasm") == sources.checkout_path("minidasm")
    assert sources.origin_of("minidasm") == "vanilla-disassembly"
    # a folder that exists wins over a name, and unknown names pass through unchanged
    assert sources.resolve_source(Path("tests")) == Path("tests")
    assert sources.resolve_source("no-such-tree") == Path("no-such-tree")
    scanned = runner.invoke(app, ["cpp", "scan", "minidasm", "--json"])
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.output)["files_read"] == 0  # an asm tree holds no C++


ROUTINE = """\
lorom
org $008000

; Adds one to the counter at $7E0010.
IncrementCounter:
#_008000: LDA.b $10
#_008002: INC A
#_008003: STA.b $10
#_008005: RTS
"""


def test_build_takes_a_tree_by_name_with_its_manifest_origin(
    local_tree: tuple[Path, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "routines"
    repo.mkdir()
    (repo / "main.asm").write_text(ROUTINE)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one routine")
    pinned = _git(repo, "rev-parse", "HEAD").strip()
    manifest = Path(os.environ["TRIFORCE_SOURCES_MANIFEST"])
    manifest.write_text(
        manifest.read_text()
        + "minirom:\n"
        + "  url: https://example.invalid/minirom\n"
        + f"  commit: {pinned}\n"
        + "  license: none\n  origin: rom-hack\n  kind: asm\n  mapper: lorom\n"
        + "  description: one routine\n  feeds: [tests]\n"
    )
    sources._manifest.cache_clear()
    monkeypatch.setenv("TRIFORCE_SOURCE_URL_MINIROM", repo.as_uri())
    runner = CliRunner()
    out = tmp_path / "out"
    args = [
        "build",
        "--source",
        "minirom",
        "-g",
        "base",
        "-n",
        "1",
        "--no-curate",
        "--out",
        str(out),
        "-j",
        "1",
    ]
    unfetched = runner.invoke(app, args)
    assert isinstance(unfetched.exception, InputError) and "sources fetch minirom" in str(unfetched.exception)
    assert runner.invoke(app, ["sources", "fetch", "minirom"]).exit_code == 0
    built = runner.invoke(app, [*args, "--json"])
    assert built.exit_code == 0, built.output
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert rows and all(r["provenance"]["origin"] == "rom-hack" for r in rows)
    assert {r["provenance"]["commit"] for r in rows} == {pinned}


def _real_usdasm() -> Path | None:
    """A usdasm checkout named in TRIFORCE_CORPUS_TREES (as the real-tree ASM test), else the
    fetched source tree `usdasm`, else None."""
    named = [Path(p) for p in os.environ.get("TRIFORCE_CORPUS_TREES", "").split(os.pathsep) if p]
    for tree in named:
        if (tree / "bank_00.asm").is_file() and (tree / "overworlds.asm").is_file():
            return tree
    try:
        return sources.resolve_source("usdasm")
    except InputError:
        return None


def test_real_usdasm_binary_sizes_match_its_size_comments() -> None:
    """usdasm writes `; size: 0x....` after most incbins: every size from the markers agrees."""
    tree = _real_usdasm()
    if tree is None:
        pytest.skip("no usdasm checkout: set TRIFORCE_CORPUS_TREES or `triforce sources fetch usdasm`")
    missing = sources.missing_binaries(tree)
    declared = [m for m in missing if m.declared_size is not None]
    assert len(missing) > 900 and len(declared) > 900
    assert all(m.size == m.declared_size for m in declared)
    assert all(m.size is not None for m in missing)
