"""`triforce build`: the main job, corpus to verified samples, as a thin layer over generate.build."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, cast, get_args

import typer
from rich.console import Console
from rich.progress import TaskID

from triforce.cli._progress import stage_bar
from triforce.cli._tables import Table
from triforce.dataset.filters import FilterConfig
from triforce.dataset.pipeline import CurationConfig, build_step
from triforce.generate.build import BuildOptions, PostBuildStep, generator_names, run_build
from triforce.generate.domain import Source
from triforce.generate.routines import load_routines
from triforce.generate.synth import GENERATORS
from triforce.generate.teacher import TeacherConfig
from triforce.sample import Origin


def _post_build(curate: bool, mix: str | None, exclude_origins: list[str]) -> list[PostBuildStep]:
    """The dataset pipeline applied to a finished build: filter, dedup, decontaminate against the
    evaluation suites, mix (when a preset is named), split, export and card into <out>/dataset."""
    if not curate:
        return []
    config = CurationConfig(mix=mix, filter=FilterConfig(exclude_origins=cast(list[Origin], exclude_origins)))
    return [cast(PostBuildStep, build_step(config))]


def build(
    source: list[Path] = typer.Option(
        [],
        "--source",
        "-s",
        help=(
            "Source tree(s): asar trees, graphics, text, C++ or hack documents, as folders or by name "
            "(usdasm, yaze, ...: `triforce sources list`); default: the bundled corpus."
        ),
    ),
    out: Path = typer.Option(Path("triforce-out"), "--out", "-o", help="Output directory."),
    generators: str = typer.Option(
        "all", "--generators", "-g", help="Comma-separated generators, or 'all' (see --help's list)."
    ),
    limit_per_type: int | None = typer.Option(
        None, "--limit-per-type", "-n", min=1, help="Keep at most N samples per generator."
    ),
    workers: int | None = typer.Option(
        None, "--workers", "-j", min=1, help="Worker processes (default: all cores)."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed for test states (same seed, same samples)."),
    origin: str | None = typer.Option(
        None,
        "--origin",
        help="Provenance origin tag for --source trees (default: the manifest's tag for a named tree, else original).",
    ),
    curate: bool = typer.Option(
        True, "--curate/--no-curate", help="Curate into <out>/dataset (dedup, decontam, split, export)."
    ),
    mix: str | None = typer.Option(
        None, "--mix", help="Mix preset for curation, e.g. euclid-asm or triforce-sage-60k."
    ),
    exclude_origin: list[str] = typer.Option(
        [], "--exclude-origin", help="Leave out samples of this origin (e.g. commercial-derived)."
    ),
    teacher: str | None = typer.Option(
        None, "--teacher", help="OpenAI-compatible endpoint of a teacher model: adds checked prose samples."
    ),
    teacher_model: str = typer.Option(
        "default", "--teacher-model", help="Model name the teacher endpoint serves."
    ),
    teacher_budget: int = typer.Option(
        200_000, "--teacher-budget", min=0, help="Tokens the teacher may spend on new requests."
    ),
    teacher_limit: int | None = typer.Option(
        None, "--teacher-limit", min=1, help="Ask the teacher at most N prompts per kind (lore, quest)."
    ),
    base_source: Path | None = typer.Option(
        None,
        "--base-source",
        help="The vanilla tree a hack --source patches (a folder or a name, e.g. usdasm): the hack is "
        "assembled over its image, so calls into vanilla code by address run the game's code.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Build verified samples of every domain (ASM base/debug/optimize/hook/doc and the domain
    generators) into samples.jsonl.

    Interrupt at any time: rerunning the same command continues where it stopped. With
    `--teacher URL` a teacher model writes prose that the lore and quest checkers prove (answers
    cached in <out>/.work/teacher, rejects with reasons in rejects.jsonl and teacher_log.jsonl);
    its key, if it needs one, is read from $TRIFORCE_TEACHER_KEY."""
    known = generator_names()
    gens = known if generators.strip() == "all" else [g.strip() for g in generators.split(",") if g.strip()]
    if teacher and "prose" not in gens:
        gens.append("prose")  # the teacher's samples come from the prose generator
    unknown = [g for g in gens if g not in known]
    if unknown or not gens:
        raise typer.BadParameter(f"unknown generator(s) {unknown}; choose from all, {', '.join(known)}")
    from triforce.corpus.sources import origin_of, resolve_source

    if origin is None:
        named = {o for s in source if (o := origin_of(s)) is not None}
        if len(named) > 1:
            raise typer.BadParameter(
                f"the named trees have different origins ({', '.join(sorted(named))}): give --origin, or build them apart"
            )
        origin = named.pop() if named else "original"
    source = [resolve_source(s) for s in source]
    if base_source is not None:
        base_source = resolve_source(base_source)
        if not base_source.is_dir():
            raise typer.BadParameter(
                f"--base-source {base_source}: no such folder (fetch it: triforce sources fetch NAME)"
            )
    origins = get_args(Origin)
    for value in [origin, *exclude_origin]:
        if value not in origins:
            raise typer.BadParameter(f"origin {value!r} must be one of {', '.join(origins)}")
    console = Console(stderr=json_out)
    asm_only = all(g in GENERATORS for g in gens)
    corpus = load_routines(source, origin=cast(Origin, origin), required=asm_only)
    opts = BuildOptions(
        generators=gens,
        limit_per_type=limit_per_type,
        seed=seed,
        workers=workers,
        sources=[Source(p, cast(Origin, origin)) for p in source],
        base_root=base_source,
        teacher=TeacherConfig(
            url=teacher,
            model=teacher_model,
            api_key=os.environ.get("TRIFORCE_TEACHER_KEY"),
            budget_tokens=teacher_budget,
            limit=teacher_limit,
        )
        if teacher
        else None,
    )
    bar = stage_bar(console, disable=json_out)
    read = bar.add_task("read corpus", total=1)
    bar.update(read, completed=1, description=f"read corpus ({len(corpus.routines)} routines)")
    tasks: dict[str, TaskID] = {}

    def progress(stage: str, advance: int, total: int | None) -> None:
        # Started on the first report, once the build's workers exist: the display's refresh
        # thread would make the build start them the slower, thread-safe way.
        if not bar.live.is_started:
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], advance=advance, total=total)

    try:
        report = run_build(
            corpus, out, opts, progress=progress, post_build=_post_build(curate, mix, exclude_origin)
        )
    except KeyboardInterrupt:
        bar.stop()
        console.print(f"[yellow]interrupted[/]: finished routines are saved in {out}; rerun to continue.")
        raise typer.Exit(130) from None
    finally:
        bar.stop()
    if json_out:
        typer.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    _summary(console, report, out)


def _summary(console: Console, report: dict[str, Any], out: Path) -> None:
    c = report["corpus"]
    console.print(
        f"routines read: {c['routines_read']} from {c['files_read']} files "
        f"({len(c['files_skipped'])} skipped); processed {report['routines_processed']}"
        + (f"; resumed {report['resumed_units']} units" if report["resumed_units"] else "")
    )
    for path, reason in c["files_skipped"][:10]:
        console.print(f"  [yellow]skipped[/] {path}: {reason}")
    if report["routines_rejected"]:
        console.print(
            "routines not executable: "
            + ", ".join(f"{k} {v}" for k, v in report["routines_rejected"].items())
        )
    table = Table(title=f"triforce build -> {out}")
    for col in ("generator", "candidates", "verified", "kept", "rejected (by reason)"):
        table.add_column(col)
    for g, v in report["per_generator"].items():
        reasons = ", ".join(f"{k} {n}" for k, n in sorted(v["rejected"].items(), key=lambda kv: -kv[1]))
        table.add_row(g, str(v["candidates"]), str(v["verified"]), str(v["kept"]), reasons or "-")
    t = report["totals"]
    table.add_row("total", str(t["candidates"]), str(t["verified"]), str(t["kept"]), str(t["rejected"]))
    console.print(table)
    console.print(
        f"{t['kept']} samples in {out / 'samples.jsonl'}, {report['elapsed_s']} s "
        f"({report['verified_per_s']} verified/s); report: {out / 'report.json'}"
    )
    curated = report.get("post_build", {}).get("curate_build")
    if curated:
        splits = ", ".join(f"{k} {v}" for k, v in curated["splits"].items())
        dedup = curated["dedup"] or {}
        decontam = curated["decontam"] or {}
        console.print(
            f"curated dataset in {out / 'dataset'}: {splits}; "
            f"duplicates removed {dedup.get('removed', 0)}, "
            f"contaminated removed {decontam.get('removed', 0)}, leaks {curated['leaks']}"
        )
        for warning in curated["warnings"]:
            console.print(f"  [yellow]warning[/] {warning}")
