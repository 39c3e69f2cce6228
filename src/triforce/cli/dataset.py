"""`triforce dataset …`: inspect and curate sample files (thin over `triforce.dataset`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import TaskID

from triforce.cli._progress import stage_bar
from triforce.cli._tables import Table
from triforce.errors import ConfigError, InputError
from triforce.fsio import lines_bounded

app = typer.Typer(help="Curate samples: stats, dedup, decontamination, mixing, splits, export, card.")
_out = Console()
_err = Console(stderr=True)

_FILES = typer.Argument(..., help="Sample files (.jsonl or .parquet).", exists=True, dir_okay=False)
_JSON = typer.Option(False, "--json", help="Print a machine-readable JSON report.")
_SKIP = typer.Option(False, "--skip-bad", help="Skip malformed lines (each is reported) instead of failing.")
_OUT = typer.Option(..., "--out", "-o", help="Output file (.jsonl or .parquet).")
_EMPTY = typer.Option(
    False, "--allow-empty", help="Accept input with no samples (by default it is an error: exit 2)."
)


def _read(files: list[Path], skip_bad: bool, allow_empty: bool = False) -> list[Any]:
    from triforce.dataset.sample_io import read_many

    result = read_many(files, on_error="skip" if skip_bad else "raise")
    for bad in result.errors:
        _err.print(f"[yellow]skipped[/] {bad}", highlight=False)
    if not result.samples and not allow_empty:
        _refuse_empty(files, len(result.errors))
    return result.samples


def _refuse_empty(files: list[Path], skipped: int) -> None:
    """Empty input is almost always a mistake (a wrong path, a failed build): say so, exit 2."""
    why = f" ({skipped:,} malformed record(s) skipped)" if skipped else ""
    names = ", ".join(str(f) for f in files)
    raise InputError(f"{names}: no samples{why}; pass --allow-empty if an empty dataset is intended")


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr, one task per stage, fed by the library's tick callback."""
    with stage_bar(_err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        yield tick


def _emit(payload: dict[str, Any], as_json: bool) -> bool:
    if as_json:
        typer.echo(json.dumps(payload, indent=1, ensure_ascii=False))
    return as_json


def _warn(lines: list[str]) -> None:
    for w in lines:
        _err.print(f"[bold red]WARNING[/] {w}", highlight=False)


def _counts(title: str, counts: dict[str, int], total: int) -> Table:
    t = Table(title=title)
    t.add_column(title.split()[-1])
    t.add_column("samples", justify="right")
    t.add_column("share", justify="right")
    for k, v in counts.items():
        t.add_row(k, f"{v:,}", f"{100 * v / total:.1f}%" if total else "-")
    return t


@app.command()
def stats(
    files: list[Path] = _FILES, as_json: bool = _JSON, skip_bad: bool = _SKIP, allow_empty: bool = _EMPTY
) -> None:
    """Counts per domain, source, task, origin, and verification rates."""
    from triforce.dataset.stats import dataset_stats

    samples = _read(files, skip_bad, allow_empty)
    st = dataset_stats(samples)
    if _emit(st, as_json):
        return
    _out.print(f"[bold]{st['count']:,}[/] samples in {st['groups']:,} groups")
    for title, key in (
        ("Per domain", "domains"),
        ("Per source", "sources"),
        ("Per task", "tasks"),
        ("Per origin", "origins"),
    ):
        _out.print(_counts(title, st[key], st["count"]))
    v = st["verification"]
    _out.print(
        f"verification: assembled {v['assembled']:.1%}, executed {v['executed']:.1%}, "
        f"passed {v['passed']:.1%}, no record {v['unverified']:.1%}"
    )


@app.command()
def dedup(
    files: list[Path] = _FILES,
    out: Path = _OUT,
    threshold: float = typer.Option(
        0.8, min=0.0, max=1.0, help="Near-duplicate Jaccard threshold (MinHash LSH)."
    ),
    num_perm: int = typer.Option(128, min=2, max=4096, help="MinHash permutations."),
    near: bool = typer.Option(True, "--near/--no-near", help="Run the near-duplicate layer."),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
    allow_empty: bool = _EMPTY,
) -> None:
    """Remove exact, code-aware (normalized asm, assembled bytes) and near duplicates."""
    from triforce.dataset.dedup import DedupConfig
    from triforce.dataset.dedup import dedup as run
    from triforce.dataset.sample_io import write_samples

    samples = _read(files, skip_bad, allow_empty)
    with _progress_bar() as tick:
        kept, report = run(samples, DedupConfig(near_threshold=threshold, num_perm=num_perm, near=near), tick)
    write_samples(out, kept)
    payload = {**report.to_dict(), "out": str(out), "removals": [r.__dict__ for r in report.removals]}
    if _emit(payload, as_json):
        return
    t = Table(title=f"Dedup: {report.input_count:,} in, {report.kept_count:,} kept → {out}")
    t.add_column("layer")
    t.add_column("removed", justify="right")
    for layer, n in report.removed_by_layer().items():
        t.add_row(layer, f"{n:,}")
    _out.print(t)


@app.command()
def decontam(
    files: list[Path] = _FILES,
    out: Path = _OUT,
    suite: list[Path] = typer.Option(
        [], "--suite", "-s", help="Evaluation suite JSONL (repeatable); default: the package's suites."
    ),
    ngram: int = typer.Option(13, min=1, help="Word n-gram length that counts as overlap."),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
    allow_empty: bool = _EMPTY,
) -> None:
    """Remove samples that overlap evaluation items (routine, bytes or long n-gram)."""
    from triforce.dataset.decontam import DecontamConfig, bundled_suite_paths, decontaminate
    from triforce.dataset.sample_io import write_samples

    samples = _read(files, skip_bad, allow_empty)
    suites = suite or bundled_suite_paths()
    with _progress_bar() as tick:
        kept, report = decontaminate(samples, suites, config=DecontamConfig(ngram_words=ngram), progress=tick)
    write_samples(out, kept)
    payload = {**report.to_dict(), "out": str(out), "hits": [h.__dict__ for h in report.hits]}
    if _emit(payload, as_json):
        return
    _warn(report.notes)
    t = Table(
        title=f"Decontamination: {len(report.hits):,} removed of {report.input_count:,} ({report.items} items)"
    )
    for col in ("sample", "matched item", "kind", "detail"):
        t.add_column(col)
    for h in report.hits[:50]:
        t.add_row(h.sample_id, f"{h.suite}/{h.item_id}", h.kind, h.detail)
    _out.print(t)
    if len(report.hits) > 50:
        _out.print(f"… and {len(report.hits) - 50:,} more (use --json for all)")


def _mix_table(report: Any) -> Table:
    t = Table(title=f"Mix {report.preset}: {report.selected:,} selected")
    for col in ("domain", "row", "quota", "available", "selected", "upsampled", ""):
        t.add_column(
            col, justify="right" if col in ("quota", "available", "selected", "upsampled") else "left"
        )
    for r in report.rows:
        flag = "[bold red]SHORT[/]" if r.short else "ok"
        t.add_row(
            r.domain, r.key, f"{r.target:,}", f"{r.available:,}", f"{r.selected:,}", f"{r.upsampled:,}", flag
        )
    return t


@app.command()
def mix(
    files: list[Path] = _FILES,
    out: Path = _OUT,
    preset: str = typer.Option("triforce-sage-60k", help="Preset name or mix YAML path."),
    short: str = typer.Option(None, help="Short rows: leave | upsample (default: the preset's)."),
    cap: float = typer.Option(
        None, min=1.0, help="Upsample cap: most copies of one sample, original included."
    ),
    seed: int = typer.Option(None, min=0, help="Random seed (default: the preset's)."),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
    allow_empty: bool = _EMPTY,
) -> None:
    """Select samples to a preset's domain and source quotas; short rows are flagged loudly."""
    from triforce.dataset.mix import load_mix_config
    from triforce.dataset.mix import mix as run
    from triforce.dataset.sample_io import write_samples

    if short not in (None, "leave", "upsample"):
        raise ConfigError(f"--short: expected leave or upsample, got {short!r}")
    cfg = load_mix_config(preset, short=short, upsample_cap=cap, seed=seed)
    samples = _read(files, skip_bad, allow_empty)
    chosen, report = run(samples, cfg)
    write_samples(out, chosen)
    if _emit({**report.to_dict(), "out": str(out)}, as_json):
        return
    _out.print(_mix_table(report))
    _warn(report.warnings)


@app.command("presets")
def presets(as_json: bool = _JSON) -> None:
    """List the mix presets and their totals."""
    from triforce.dataset.mix import load_mix_config, preset_names

    data = {n: load_mix_config(n) for n in preset_names()}
    if _emit({n: c.model_dump() for n, c in data.items()}, as_json):
        return
    t = Table(title="Mix presets")
    for col in ("preset", "domains", "rows", "description"):
        t.add_column(col)
    for n, c in data.items():
        t.add_row(
            n,
            ", ".join(f"{d} {v:,}" for d, v in c.domains.items()),
            f"{sum(c.sources.values()):,}",
            c.description,
        )
    _out.print(t)


@app.command()
def split(
    files: list[Path] = _FILES,
    out: Path = typer.Option(..., "--out", "-o", help="Directory for train/validation/test.jsonl."),
    validation: float = typer.Option(0.05, min=0.0, max=1.0, help="Validation share."),
    test: float = typer.Option(0.05, min=0.0, max=1.0, help="Test share."),
    min_validation: int = typer.Option(20, min=0, help="Minimum validation samples."),
    min_test: int = typer.Option(20, min=0, help="Minimum test samples."),
    seed: int = typer.Option(0, min=0),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
    allow_empty: bool = _EMPTY,
) -> None:
    """Split by group (no routine in two splits), stratified by domain and task; leak-checked."""
    from triforce.dataset.sample_io import write_samples
    from triforce.dataset.splits import SplitConfig, check_leaks
    from triforce.dataset.splits import split as run

    try:
        cfg = SplitConfig(
            fractions={"train": 1 - validation - test, "validation": validation, "test": test},
            min_sizes={"validation": min_validation, "test": min_test},
            seed=seed,
        )
    except ValueError as exc:
        raise ConfigError(f"split shares: {exc}") from exc
    parts, report = run(_read(files, skip_bad, allow_empty), cfg)
    leaks = check_leaks(parts)
    for name, samples in parts.items():
        write_samples(out / f"{name}.jsonl", samples)
    if _emit({**report.to_dict(), "leaks": len(leaks), "out": str(out)}, as_json):
        return
    t = Table(title=f"Splits → {out} (leaks: {len(leaks)})")
    for col in ("split", "samples", "groups"):
        t.add_column(col)
    for name, n in report.sizes.items():
        t.add_row(name, f"{n:,}", f"{report.groups.get(name, 0):,}")
    _out.print(t)
    _warn(report.warnings)


def _print_curation(result: Any) -> None:
    s = result.summary()
    t = Table(title="Curation")
    t.add_column("stage")
    t.add_column("result")
    t.add_row(
        "filter",
        f"{s['filter']['input']:,} → {s['filter']['kept']:,} {s['filter']['removed_by_reason'] or ''}",
    )
    if s["dedup"]:
        t.add_row(
            "dedup", f"{s['dedup']['input']:,} → {s['dedup']['kept']:,} {s['dedup']['removed_by_layer']}"
        )
    if s["decontam"]:
        t.add_row(
            "decontam", f"{s['decontam']['removed']:,} removed against {s['decontam']['items']:,} items"
        )
    if s["mix"]:
        t.add_row("mix", f"{s['mix']['preset']}: {s['mix']['selected']:,} selected")
    t.add_row("split", ", ".join(f"{k} {v:,}" for k, v in s["splits"].items()) + f" (leaks: {s['leaks']})")
    if s["card"]:
        t.add_row("card", s["card"])
    _out.print(t)
    if result.mix:
        _out.print(_mix_table(result.mix))
    _warn(result.warnings)


@app.command()
def curate(
    files: list[Path] = _FILES,
    out: Path = typer.Option(..., "--out", "-o", help="Dataset directory to write."),
    config: Path = typer.Option(None, "--config", "-c", help="Curation YAML (CurationConfig)."),
    preset: str = typer.Option(None, help="Mix preset name or YAML path (default: no mixing)."),
    short: str = typer.Option(None, help="Short rows: leave | upsample."),
    suite: list[Path] = typer.Option(
        [], "--suite", "-s", help="Evaluation suite(s); default: the package's."
    ),
    exclude_origin: list[str] = typer.Option([], help="Drop samples with this provenance origin."),
    exclude_corpus: list[str] = typer.Option([], help="Drop samples from this corpus."),
    fmt: str = typer.Option(
        "messages,parquet", "--format", help="Comma list: messages,alpaca,sharegpt,parquet."
    ),
    curriculum: bool = typer.Option(False, help="Order training data pure-domain first, then cross."),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
    allow_empty: bool = _EMPTY,
) -> None:
    """The whole pipeline: filter → dedup → decontaminate → mix → split → export → card."""
    from triforce.dataset.pipeline import CurationConfig, load_curation_config
    from triforce.dataset.pipeline import curate as run

    cfg = load_curation_config(config) if config else CurationConfig()
    try:
        update: dict[str, Any] = {"out_dir": out}
        if preset:
            update["mix"] = preset
        if short:
            update["short"] = short
        if suite:
            update["suites"] = suite
        cfg = CurationConfig.model_validate(
            {
                **cfg.model_dump(),
                **update,
                "filter": {
                    **cfg.filter.model_dump(),
                    "exclude_origins": [*cfg.filter.exclude_origins, *exclude_origin],
                    "exclude_corpora": [*cfg.filter.exclude_corpora, *exclude_corpus],
                },
                "export": {
                    **cfg.export.model_dump(),
                    "formats": [f.strip() for f in fmt.split(",") if f.strip()],
                    "order": "curriculum" if curriculum else cfg.export.order,
                },
            }
        )
    except ValueError as exc:
        raise ConfigError(f"curate options: {exc}") from exc
    samples = _read(files, skip_bad, allow_empty)
    with _progress_bar() as tick:
        result = run(samples, cfg, tick=tick)
    if _emit(result.summary(), as_json):
        return
    _print_curation(result)


@app.command()
def export(
    split_dir: Path = typer.Argument(..., help="Directory with train/validation/test .jsonl or .parquet."),
    out: Path = typer.Option(..., "--out", "-o", help="Dataset directory to write."),
    fmt: str = typer.Option(
        "messages,parquet", "--format", help="Comma list: messages,alpaca,sharegpt,parquet."
    ),
    curriculum: bool = typer.Option(False, help="Order training data pure-domain first, then cross."),
    seed: int = typer.Option(0, min=0),
    card: bool = typer.Option(True, "--card/--no-card", help="Write README.md and charts."),
    as_json: bool = _JSON,
) -> None:
    """Export ready splits for trainers (TRL messages, Alpaca, ShareGPT, Parquet) with a card."""
    from triforce.dataset.export import ExportConfig
    from triforce.dataset.pipeline import CurationConfig, export_splits
    from triforce.dataset.sample_io import read_samples

    if out.resolve() == split_dir.resolve():
        raise ConfigError(
            f"--out {out}: choose another folder than the splits (the export would overwrite them)"
        )
    parts = {}
    for name in ("train", "validation", "test"):
        found = [p for p in (split_dir / f"{name}.jsonl", split_dir / f"{name}.parquet") if p.exists()]
        if found:
            parts[name] = read_samples(found[0]).samples
    if not parts:
        raise InputError(
            f"{split_dir}: no train/validation/test .jsonl or .parquet files (run `triforce dataset split`)"
        )
    try:
        exp = ExportConfig(
            formats=[f.strip() for f in fmt.split(",") if f.strip()],  # type: ignore[misc]
            order="curriculum" if curriculum else "shuffle",
            seed=seed,
        )
    except ValueError as exc:
        raise ConfigError(f"--format: {exc}") from exc
    result = export_splits(parts, CurationConfig(out_dir=out, export=exp, card=card))
    if _emit(result.summary(), as_json):
        return
    _print_curation(result)


@app.command("card")
def card_cmd(
    directory: Path = typer.Argument(..., help="A dataset directory written by curate/export."),
) -> None:
    """(Re)write the dataset card README.md and its charts from curation.json."""
    from triforce.dataset.card import write_card

    path = write_card(directory)
    _out.print(f"wrote {path}")


@app.command()
def verify(
    files: list[Path] = _FILES,
    root: Path | None = typer.Option(
        None, "--root", help="The source tree, for samples whose code includes files from it (incbin/incsrc)."
    ),
    workers: int = typer.Option(0, "--workers", "-j", min=0, help="Worker processes (0: one per CPU)."),
    base_source: Path | None = typer.Option(
        None,
        "--base-source",
        help="The vanilla tree the --root hack tree was built over (build --base-source).",
    ),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
    allow_empty: bool = _EMPTY,
) -> None:
    """Re-verify ASM samples from their own records: assemble each at its recorded address (alone,
    or in place over the --root tree's game image when it ran there) and run every recorded state
    (debug proofs too). Exit 1 if any fails."""
    import os

    from triforce.corpus.sources import resolve_source
    from triforce.generate.verify import verify_samples

    if root is not None:
        root = resolve_source(root)
    base_root = resolve_source(base_source) if base_source is not None else None

    n = workers or len(os.sched_getaffinity(0))
    total = sum(_count_lines(f) for f in files)
    with stage_bar(_err, transient=True, disable=as_json) as bar:
        task = bar.add_task("verify", total=total)
        streamed = _Counted(_stream(files, skip_bad))
        report = verify_samples(
            streamed, root=root, workers=n, progress=lambda k: bar.advance(task, k), base_root=base_root
        )
    if not streamed.count and not allow_empty:
        _refuse_empty(files, 0)
    payload = report.to_json()
    if not _emit(payload, as_json):
        _out.print(
            f"[bold]{report.passed:,}[/] of {report.checked:,} samples verified "
            f"({report.states:,} states run); {len(report.failed):,} failed"
            + "".join(f"; skipped {v:,} ({k})" for k, v in report.skipped.items())
        )
        _out.print(_counts("Verified per generator", dict(report.per_generator), report.passed))
        for f in report.failed[:20]:
            _out.print(
                f"[red]FAILED[/] {f['generator']} {f['routine']} {f['id']}: {f['problem']}", highlight=False
            )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def audit(
    files: list[Path] = _FILES,
    tree: Path = typer.Option(..., "--tree", help="The source tree the samples were built from."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Audit only the first N samples."),
    examples: int = typer.Option(3, "--examples", min=0, help="Examples kept per defect class."),
    as_json: bool = _JSON,
    skip_bad: bool = _SKIP,
) -> None:
    """Audit ASM samples against their tree: is what each teaches true of the game? Counts and
    rates per defect class (fall-through, DB-relative table reads, I/O read as WRAM, stub
    immediates, width rewrites callers contradict, marker leaks, hooks outside free space,
    nondeterministic reads, prompts without a purpose). Exit 1 if any sample has a defect."""
    import itertools

    from triforce.generate.audit import CLASSES, facts_for_tree
    from triforce.generate.audit import audit as run_audit

    facts = facts_for_tree(tree)
    report = run_audit(itertools.islice(_stream(files, skip_bad), limit), facts, examples=examples)
    payload = {"tree": str(tree), "tree_routines": facts.routines, **report.to_json()}
    if not _emit(payload, as_json):
        table = Table(
            title=f"Audit of {report.audited:,} code samples ({report.samples:,} read) against {tree}"
        )
        table.add_column("defect class")
        table.add_column("samples", justify="right")
        table.add_column("rate", justify="right")
        for cls in CLASSES:
            n = report.by_class[cls]
            table.add_row(cls, f"{n:,}", f"{payload['classes'][cls]['rate']:.2%}")
        table.add_row("[bold]any[/]", f"{report.defective:,}", f"{payload['defective_rate']:.2%}")
        _out.print(table)
        for cls, items in report.examples.items():
            for ex in items[:1]:
                _out.print(
                    f"  {cls}: {ex['generator']} {ex['routine']}: {'; '.join(ex['evidence'])}",
                    highlight=False,
                )
    if report.defective:
        raise typer.Exit(1)


def _count_lines(path: Path) -> int:
    if path.suffix != ".jsonl" or not path.is_file():  # a device or pipe: no progress total
        return 0
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


class _Counted:
    """An iterator that counts what it hands on."""

    def __init__(self, items: Iterator[dict[str, Any]]) -> None:
        self.items, self.count = items, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self.items:
            self.count += 1
            yield item


def _stream(files: list[Path], skip_bad: bool) -> Iterator[dict[str, Any]]:
    """Samples as dicts, one at a time from JSONL files (Parquet files are read whole)."""
    from triforce.dataset.sample_io import iter_jsonl

    for path in files:
        if path.suffix != ".jsonl":
            yield from (s.model_dump(mode="json") for s in _read([path], skip_bad, allow_empty=True))
            continue
        _refuse_training_rows(path)
        for parsed in iter_jsonl(path):
            if not isinstance(parsed, list):
                yield parsed.model_dump(mode="json")
                continue
            if not skip_bad:
                raise InputError(str(parsed[0]))
            for bad in parsed:
                _err.print(f"[yellow]skipped[/] {bad}", highlight=False)


def _refuse_training_rows(path: Path) -> None:
    """Exported training files (TRL `messages` rows) carry no execution records: say what to verify."""
    with path.open("r", encoding="utf-8") as fh:
        first = next((line for line in lines_bounded(fh, str(path)) if line.strip()), "")
    try:
        row = json.loads(first) if first else {}
    except json.JSONDecodeError:
        return  # reported with its line by the reader
    if isinstance(row, dict) and "messages" in row and "meta" not in row and "provenance" not in row:
        raise InputError(
            f"{path} holds training rows (messages only, no execution records): verify the build's "
            "samples.jsonl or the dataset's parquet/ files, which keep each sample whole"
        )
