"""`triforce refine` (the bootstrap loop) and `triforce review` (the expert review queue)."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import TaskID
from rich.syntax import Syntax

from triforce.cli._progress import stage_bar
from triforce.cli._tables import Table
from triforce.errors import InputError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded

refine_app = typer.Typer(help="Iterative refinement: expert seed -> pilot -> verified candidates -> review.")
review_app = typer.Typer(help="The expert review queue of pilot-generated quest -> implementation pairs.")
_out = Console()

_STATE = typer.Option(
    Path("refine-state"), "--state", envvar="TRIFORCE_REFINE_DIR", help="Refinement state folder."
)
_JSON = typer.Option(False, "--json", help="Print JSON.")
_REVIEWER = typer.Option(
    None, "--reviewer", envvar="TRIFORCE_REVIEWER", help="Who decides (default: the login name)."
)
_NOTES = typer.Option("", "--notes", help="Free-text note kept with the decision.")
_MINUTES = typer.Option(
    None, "--minutes", min=0.0, help="Review time to record (default: measured from the first `show`)."
)


def _reviewer(name: str | None) -> str:
    return name or getpass.getuser() or os.environ.get("USER", "unknown")


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# -- refine ---------------------------------------------------------------------------------------


@refine_app.command("init")
def init(
    seed: Path | None = typer.Option(
        None, "--seed", help="Expert pairs (Sample JSONL, or a seed .yaml); default: the bundled seeds."
    ),
    state: Path = _STATE,
    force: bool = typer.Option(False, "--force", help="Replace the seed of an existing state folder."),
    as_json: bool = _JSON,
) -> None:
    """Validate the expert seed pairs (schema, task, ASM proven by execution) and create the state."""
    from triforce.dataset.sample_io import read_samples
    from triforce.refine import bundled_seeds, init_state, load_seed_file

    if seed is None:
        samples, name = bundled_seeds(), "bundled seeds"
    elif seed.suffix in (".yaml", ".yml"):
        samples, name = load_seed_file(seed), str(seed)
    else:
        samples, name = read_samples(seed).samples, str(seed)
    manifest = init_state(state, samples, name, force=force)
    if as_json:
        _print_json(manifest)
        return
    _out.print(f"[green]{manifest['seed_count']} seed pairs verified[/] (asar + execution) -> {state}")


@refine_app.command("step")
def step_cmd(
    prompts: Path | None = typer.Option(
        None, "--prompts", help="New quest prompts (JSONL: id, prompt, grading); default: the bundled batch."
    ),
    config: str | None = typer.Option(None, "--config", help="Train config (YAML or preset) for the pilot."),
    backend: str = typer.Option(
        "reference",
        "--backend",
        "-b",
        help="With --no-train: reference, replay:FILE, hf:PATH or an http(s) URL.",
    ),
    train: bool = typer.Option(True, "--train/--no-train", help="Train the pilot first (needs --config)."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="New prompts to use this iteration."),
    samples: int = typer.Option(1, "--samples", "-k", min=1, help="Candidates per prompt."),
    concurrency: int = typer.Option(4, "--concurrency", "-c", min=1),
    max_tokens: int = typer.Option(1024, "--max-tokens", min=1),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0),
    model: str = typer.Option("default", "--model", help="`model` field sent to an endpoint."),
    api_key: str | None = typer.Option(None, "--api-key", envvar="TRIFORCE_API_KEY"),
    decontaminate: bool = typer.Option(True, "--decontaminate/--no-decontaminate"),
    state: Path = _STATE,
    as_json: bool = _JSON,
) -> None:
    """One iteration: (train the pilot,) generate, auto-verify, dedup/decontaminate, enqueue."""
    from triforce.refine import StepOptions, step
    from triforce.refine.loop import BUNDLED_PROMPTS

    if train and config is None:
        raise InputError(
            "--config TRAIN.yaml is needed to train the pilot; or pass --no-train --backend SPEC"
        )
    opts = StepOptions(
        prompts=prompts or BUNDLED_PROMPTS,
        backend=backend,
        config=config,
        train=train,
        limit=limit,
        samples=samples,
        concurrency=concurrency,
        max_tokens=max_tokens,
        temperature=temperature,
        decontaminate=decontaminate,
        model=model,
        api_key=api_key,
    )
    with stage_bar(Console(stderr=True), disable=as_json) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        record = step(state, opts, progress=progress)
    if as_json:
        _print_json(record)
        return
    _out.print(
        f"iteration {record['n']}: {record['generated']} generated, {record['auto_verified']} auto-verified, "
        f"{record['auto_rejected']} failed verification, {record['duplicates']} duplicates, "
        f"{record['contaminated']} contaminated -> [bold]{record['enqueued']} queued for review[/]"
    )
    if record.get("reject_codes"):
        _out.print(
            "rejects by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(record["reject_codes"].items()))
        )


@refine_app.command("status")
def status_cmd(state: Path = _STATE, as_json: bool = _JSON) -> None:
    """Per-iteration counts and progress toward the plan's 100 -> 400 -> 3,000 pairs."""
    from triforce.refine import status

    data = status(state)
    if as_json:
        _print_json(data)
        return
    table = Table(title=f"refinement: {data['pool']} pairs (seed {data['seed']})")
    cols = [
        "iter",
        "generated",
        "auto-ok",
        "auto-fail",
        "dup",
        "contam",
        "queued",
        "pending",
        "accepted",
        "corrected",
        "rejected",
        "accept %",
        "review min",
    ]
    for c in cols:
        table.add_column(c, justify="right")
    for r in data["iterations"]:
        rate = "-" if r["acceptance_rate"] is None else f"{100 * r['acceptance_rate']:.0f}%"
        table.add_row(
            f"{r['iteration']}{'' if r['phase'] == 'done' else ' (' + r['phase'] + ')'}",
            *(
                str(r[k])
                for k in (
                    "generated",
                    "auto_verified",
                    "auto_rejected",
                    "duplicates",
                    "contaminated",
                    "enqueued",
                    "pending",
                    "accepted",
                    "corrected",
                    "rejected",
                )
            ),
            rate,
            f"{r['reviewer_minutes']:.1f}",
        )
    _out.print(table)
    q = data["queue"]
    per = "-" if q["minutes_per_sample"] is None else f"{q['minutes_per_sample']:.1f}"
    _out.print(f"review time: {per} min/sample measured over {q['timed_decisions']} decisions (plan: 10)")
    marks = " -> ".join(f"[green]{t}[/]" if data["pool"] >= t else str(t) for t in data["targets"])
    _out.print(f"targets: {marks}; pool {data['pool']}")
    p = data["projection"]
    if p:
        _out.print(
            f"to reach {p['target']}: {p['pairs_needed']} more pairs ≈ {p['candidates_to_review']} candidates "
            f"to review ≈ {p['reviewer_hours']} reviewer hours at the measured rates"
        )


# -- review ---------------------------------------------------------------------------------------


def _verdict_line(verdict: dict[str, Any]) -> str:
    mark = "[green]PASS[/]" if verdict.get("passed") else "[red]FAIL[/]"
    detail = f"[{verdict.get('code', '')}] {verdict.get('reason', '')}"
    return f"{mark} {escape(detail)}"


@review_app.command("list")
def list_cmd(
    status: str | None = typer.Option("pending", "--status", help="pending|accepted|corrected|rejected|all"),
    iteration: int | None = typer.Option(None, "--iteration", "-i", min=0),
    state: Path = _STATE,
    as_json: bool = _JSON,
) -> None:
    """Queue items (pending by default)."""
    from triforce.refine import State

    with State(state).queue() as q:
        items = q.items(None if status in (None, "all") else status, iteration)
    if as_json:
        _print_json(
            [
                {
                    **{k: v for k, v in i.to_json().items() if k not in ("sample", "final")},
                    "prompt_id": i.sample.meta.get("prompt_id"),
                }
                for i in items
            ]
        )
        return
    table = Table(title=f"review queue: {len(items)} item(s)")
    for c in ("id", "iter", "status", "prompt", "auto-verification", "reviewer", "min"):
        table.add_column(c)
    for i in items:
        prompt = str(i.sample.meta.get("prompt_id", "")) or i.sample.prompt()[:40]
        mins = "" if i.seconds_spent is None else f"{i.seconds_spent / 60:.1f}"
        table.add_row(
            i.id[:12], str(i.iteration), i.status, prompt, _verdict_line(i.verdict), i.reviewer or "", mins
        )
    _out.print(table)


@review_app.command("show")
def show(
    item: str = typer.Argument(..., help="Item id (or a unique prefix)."),
    state: Path = _STATE,
    reviewer: str | None = _REVIEWER,
    as_json: bool = _JSON,
) -> None:
    """Show a candidate for review (starts its review clock on first opening)."""
    from triforce.refine import State

    with State(state).queue() as q:
        it = q.open(item, _reviewer(reviewer))
        events = q.events(it.id)
    if as_json:
        _print_json({**it.to_json(), "events": events})
        return
    shown = it.final()
    _out.print(
        Panel(escape(shown.prompt()), title=escape(f"{it.id}  iteration {it.iteration}  [{it.status}]"))
    )
    _out.print(Syntax(shown.answer(), "markdown", word_wrap=True))
    _out.print(f"automatic verification: {_verdict_line(it.verdict)}")
    for check in it.verdict.get("checks", []):
        mark = "[green]ok[/]" if check.get("passed") else "[red]x[/]"
        _out.print(f"  {mark} {escape(str(check.get('name')))} {escape(str(check.get('message', '')))}")
    if it.status != "pending":
        _out.print(
            f"decided: {it.status} by {it.reviewer}" + (f" - {escape(it.reason)}" if it.reason else "")
        )


@review_app.command("accept")
def accept(
    item: str = typer.Argument(...),
    state: Path = _STATE,
    reviewer: str | None = _REVIEWER,
    notes: str = _NOTES,
    minutes: float | None = _MINUTES,
    as_json: bool = _JSON,
) -> None:
    """Accept a candidate as generated (re-verified first)."""
    from triforce.refine import State

    with State(state).queue() as q:
        it = q.accept(item, _reviewer(reviewer), notes=notes, minutes=minutes)
    _done(it, as_json)


@review_app.command("reject")
def reject(
    item: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why (required)."),
    state: Path = _STATE,
    reviewer: str | None = _REVIEWER,
    notes: str = _NOTES,
    minutes: float | None = _MINUTES,
    as_json: bool = _JSON,
) -> None:
    """Reject a candidate with a reason."""
    from triforce.refine import State

    with State(state).queue() as q:
        it = q.reject(item, _reviewer(reviewer), reason, notes=notes, minutes=minutes)
    _done(it, as_json)


@review_app.command("correct")
def correct(
    item: str = typer.Argument(...),
    file: Path = typer.Option(..., "--file", "-f", help="The corrected full answer (markdown with ```asm)."),
    state: Path = _STATE,
    reviewer: str | None = _REVIEWER,
    notes: str = _NOTES,
    minutes: float | None = _MINUTES,
    as_json: bool = _JSON,
) -> None:
    """Replace the answer with a correction; refused with the reason unless its ASM verifies."""
    from triforce.refine import State

    if not file.is_file():
        raise InputError(f"{file}: no such file")
    with State(state).queue() as q:
        it = q.correct(
            item, read_text_bounded(file, MAX_CONFIG_BYTES), _reviewer(reviewer), notes=notes, minutes=minutes
        )
    _done(it, as_json)


def _done(it: Any, as_json: bool) -> None:
    if as_json:
        _print_json({k: v for k, v in it.to_json().items() if k not in ("sample", "final")})
        return
    mins = "" if it.seconds_spent is None else f" after {it.seconds_spent / 60:.1f} min"
    _out.print(f"{it.id}: [bold]{it.status}[/] by {it.reviewer}{mins}")


@review_app.command("stats")
def stats(state: Path = _STATE, as_json: bool = _JSON) -> None:
    """Decisions, acceptance rate and review minutes per sample (the plan assumes 10)."""
    from triforce.refine import State

    with State(state).queue() as q:
        data = q.stats().to_json()
    if as_json:
        _print_json(data)
        return
    table = Table(title="review queue")
    table.add_column("status")
    table.add_column("count", justify="right")
    for k, v in data["counts"].items():
        table.add_row(k, str(v))
    _out.print(table)
    rate = "-" if data["acceptance_rate"] is None else f"{100 * data['acceptance_rate']:.0f}%"
    per = "-" if data["minutes_per_sample"] is None else f"{data['minutes_per_sample']:.1f}"
    med = "-" if data["median_minutes"] is None else f"{data['median_minutes']:.1f}"
    _out.print(
        f"acceptance {rate}; review time mean {per} / median {med} min per sample over "
        f"{data['timed_decisions']} timed decisions (plan: {data['plan_minutes_per_sample']:.0f})"
    )


@review_app.command("export")
def export(
    out: Path = typer.Argument(..., help="Output JSONL of accepted + corrected pairs."),
    seed: bool = typer.Option(True, "--seed/--no-seed", help="Include the expert seed pairs."),
    state: Path = _STATE,
    as_json: bool = _JSON,
) -> None:
    """Write every accepted pair (Sample JSONL, atomic) for curation and training."""
    from triforce.dataset.sample_io import write_samples
    from triforce.refine import State

    st = State(state)
    if seed:
        samples = st.pool()
    else:
        with st.queue() as q:
            samples = q.accepted_samples()
    n = write_samples(out, samples)  # atomic; .parquet by suffix
    if as_json:
        _print_json({"out": str(out), "samples": n})
        return
    _out.print(f"{n} pairs -> {out}")
