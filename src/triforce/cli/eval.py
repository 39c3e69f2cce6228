"""`triforce eval`: run a suite against a backend, and compare two runs (A/B)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from triforce.cli._progress import stage_bar
from triforce.cli._tables import Table
from triforce.errors import ConfigError

app = typer.Typer(
    help="Evaluate a model on the plan's benchmark categories, graded by execution.", no_args_is_help=False
)
_out = Console()

_SUITE = typer.Option(
    None, "--suite", "-s", help="Bundled suite name (asm, latency, ...) or a .jsonl path; repeatable."
)
_BACKEND = typer.Option(
    "reference",
    "--backend",
    "-b",
    help="reference, replay:FILE, hf:PATH or an OpenAI-compatible URL such as http://host:8000/v1",
)
_SAMPLES = typer.Option(1, "--samples", "-n", min=1, help="Answers per item (pass@k for k <= n).")
_CONC = typer.Option(8, "--concurrency", "-c", min=1, help="Requests in flight at once.")
_OUT = typer.Option(
    None, "--out", "-o", help="Run directory (default runs/eval-<suite>-<time>); an existing one resumes."
)
_MODEL = typer.Option("default", "--model", help="`model` field sent to an OpenAI-compatible endpoint.")
_KEY = typer.Option(None, "--api-key", envvar="TRIFORCE_API_KEY", help="Bearer token for the endpoint.")
_TIMEOUT = typer.Option(120.0, "--timeout", min=0.1, help="Seconds per request before it is retried.")
_RETRIES = typer.Option(3, "--retries", min=0, help="Retries after 5xx, timeouts and malformed bodies.")
_STREAM = typer.Option(True, "--stream/--no-stream", help="Stream responses (measures time to first token).")
_MAXTOK = typer.Option(1024, "--max-tokens", min=1, help="Generation limit per answer.")
_TEMP = typer.Option(
    None,
    "--temperature",
    min=0.0,
    help="Sampling temperature for every sample (default 0 for one sample, 0.8 for several).",
)
_JSON = typer.Option(False, "--json", help="Print the summary as JSON.")
_RESTART = typer.Option(
    False,
    "--restart",
    help="Discard the records of --out when they come from a different run (suite, backend, model, "
    "sampling options or grader version) instead of refusing.",
)


def _run(
    suite: list[str] | None,
    backend: str,
    samples: int,
    concurrency: int,
    out: Path | None,
    model: str,
    api_key: str | None,
    timeout: float,
    retries: int,
    stream: bool,
    max_tokens: int,
    as_json: bool,
    temperature: float | None = None,
    restart: bool = False,
) -> None:
    from triforce.evaluate.runner import run_suite
    from triforce.evaluate.suite import load_suites
    from triforce.models import BackendUnavailable, make_backend

    if not suite:
        raise ConfigError("--suite is required (e.g. --suite asm)")
    loaded = load_suites(suite)
    out_dir = out or Path("runs") / f"eval-{loaded.name.replace('/', '_')}-{time.strftime('%Y%m%d-%H%M%S')}"
    engine = make_backend(
        backend,
        concurrency=concurrency,
        model=model,
        api_key=api_key,
        timeout_s=timeout,
        retries=retries,
        stream=stream,
        max_tokens=max_tokens,
        temperature=temperature if temperature is not None else (0.0 if samples == 1 else 0.8),
    )
    with stage_bar(Console(stderr=True), disable=as_json) as bar:
        task = bar.add_task("eval", total=len(loaded.items) * samples)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = asyncio.run(
            run_suite(
                loaded,
                engine,
                out_dir,
                samples=samples,
                concurrency=concurrency,
                progress=progress,
                restart=restart,
            )
        )
    err = Console(stderr=True)
    if result.restarted:
        err.print(
            f"[yellow]note:[/] {escape(str(out_dir))} held a different run; its records were discarded "
            f"({escape('; '.join(result.restarted[:4]))})"
        )
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2, default=str))
    else:
        _print_summary(result.summary, out_dir)
    if result.status == "backend-unreachable":
        raise BackendUnavailable(str(result.problem))
    if result.problem:
        err.print(f"[yellow]warning:[/] {escape(result.problem)}")


def _pct(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


def _print_summary(summary: dict[str, object], out_dir: Path) -> None:
    run = summary.get("run") or {}
    assert isinstance(run, dict)
    cats = summary["categories"]
    assert isinstance(cats, dict)
    ks = summary.get("ks", [1])
    assert isinstance(ks, list)
    if run.get("status") == "backend-unreachable":
        _out.print(f"[bold red]{escape(str(run.get('problem')))}[/]")
    table = Table(title="Evaluation")
    for col in ["category", "items", *[f"pass@{k}" for k in ks], "partial", "target", "status"]:
        table.add_column(col)
    for cat, block in cats.items():
        target = block.get("target", {})
        goal = (
            f">={_pct(target['target'])}"
            if "target" in target
            else (
                f">={target['relative']:.0%} of baseline"
                if "relative" in target
                else f"<{target.get('budget_s', '-')} s"
            )
        )
        met = block.get("meets_target")
        status = "[dim]compare[/]" if met is None else ("[green]met[/]" if met else "[red]not met[/]")
        table.add_row(
            cat,
            str(block["items"]),
            *[_pct(block.get(f"pass@{k}")) for k in ks],
            _pct(block["partial"]),
            goal,
            status,
        )
    _out.print(table)
    lat = summary["latency"]
    assert isinstance(lat, dict)
    if lat["count"] and run.get("latency_measured", True):
        ttft = f", TTFT p50 {lat['ttft_p50_s']:.3f} s" if lat.get("ttft_p50_s") is not None else ""
        _out.print(f"latency p50 {lat['p50_s']:.3f} s, p95 {lat['p95_s']:.3f} s{ttft}")
    reasons = summary.get("failure_reasons") or {}
    if isinstance(reasons, dict) and reasons:
        _out.print("failures: " + ", ".join(f"{code} x{n}" for code, n in reasons.items()))
    _out.print(f"records, summary.json and report.html in [bold]{out_dir}[/]")


@app.callback(invoke_without_command=True)
def eval_main(
    ctx: typer.Context,
    suite: list[str] = _SUITE,
    backend: str = _BACKEND,
    samples: int = _SAMPLES,
    concurrency: int = _CONC,
    out: Path | None = _OUT,
    model: str = _MODEL,
    api_key: str | None = _KEY,
    timeout: float = _TIMEOUT,
    retries: int = _RETRIES,
    stream: bool = _STREAM,
    max_tokens: int = _MAXTOK,
    temperature: float | None = _TEMP,
    as_json: bool = _JSON,
    restart: bool = _RESTART,
) -> None:
    """Run a suite (`triforce eval --suite asm --backend reference`) or use a subcommand."""
    if ctx.invoked_subcommand is not None:
        return
    if not suite:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    _run(
        suite,
        backend,
        samples,
        concurrency,
        out,
        model,
        api_key,
        timeout,
        retries,
        stream,
        max_tokens,
        as_json,
        temperature,
        restart,
    )


@app.command("run")
def run_cmd(
    suite: list[str] = _SUITE,
    backend: str = _BACKEND,
    samples: int = _SAMPLES,
    concurrency: int = _CONC,
    out: Path | None = _OUT,
    model: str = _MODEL,
    api_key: str | None = _KEY,
    timeout: float = _TIMEOUT,
    retries: int = _RETRIES,
    stream: bool = _STREAM,
    max_tokens: int = _MAXTOK,
    temperature: float | None = _TEMP,
    as_json: bool = _JSON,
    restart: bool = _RESTART,
) -> None:
    """Run one or more suites against a backend; writes records.jsonl, summary.json, report.html."""
    _run(
        suite,
        backend,
        samples,
        concurrency,
        out,
        model,
        api_key,
        timeout,
        retries,
        stream,
        max_tokens,
        as_json,
        temperature,
        restart,
    )


@app.command("compare")
def compare_cmd(
    run_a: Path = typer.Argument(..., help="Candidate run directory (e.g. the unified model)."),
    run_b: Path = typer.Argument(..., help="Baseline run directory (e.g. the MoE route)."),
    as_json: bool = _JSON,
) -> None:
    """Item-by-item A/B with an exact McNemar test and the plan's >=110%-of-MoE ratio."""
    from triforce.evaluate.compare import compare_runs

    result = compare_runs(run_a, run_b)
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
        return
    table = Table(title=f"A = {run_a}  vs  B = {run_b}")
    for col in ("category", "items", "A pass", "B pass", "A/B", "A only", "B only", "p (McNemar)", "target"):
        table.add_column(col)
    for cat, c in result["categories"].items():
        ratio = "-" if c["ratio"] is None else f"{c['ratio']:.2f}"
        target = (
            "-"
            if "target_ratio" not in c
            else (
                f">={c['target_ratio']:.2f}: " + ("[green]met[/]" if c["meets_target"] else "[red]not met[/]")
            )
        )
        table.add_row(
            cat,
            str(c["items"]),
            _pct(c["pass_a"]),
            _pct(c["pass_b"]),
            ratio,
            str(c["a_only"]),
            str(c["b_only"]),
            f"{c['p_value']:.4f}",
            target,
        )
    _out.print(table)
    _out.print(
        f"overall: A {_pct(result['pass_a'])} vs B {_pct(result['pass_b'])}, discordant {result['a_only']}/{result['b_only']}, exact McNemar p = {result['p_value']:.4g}"
    )
    lat = result["latency"]
    if lat["p50_ratio"] is not None:
        _out.print(
            f"latency p50: A {lat['a']['p50_s']:.3f} s vs B {lat['b']['p50_s']:.3f} s (ratio {lat['p50_ratio']:.2f})"
        )


@app.command("suites")
def suites_cmd(as_json: bool = _JSON) -> None:
    """List the bundled suites and their item counts per category."""
    from collections import Counter

    from triforce.evaluate.suite import bundled_suites, load_suite

    rows = {name: dict(Counter(i.category for i in load_suite(name).items)) for name in bundled_suites()}
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for name, counts in rows.items():
        _out.print(
            f"{name}: {sum(counts.values())} items " + ", ".join(f"{c} {n}" for c, n in counts.items())
        )


@app.command("sensitivity")
def sensitivity_cmd(
    suite: list[str] = _SUITE,
    per_item: int | None = typer.Option(None, "--per-item", min=1, help="Mutants per item (default: all)."),
    as_json: bool = _JSON,
) -> None:
    """Grade typical wrong answers (mutants of each reference): what fraction do the states reject?"""
    from triforce.evaluate.sensitivity import measure
    from triforce.evaluate.suite import load_suites

    loaded = load_suites(suite or ["asm"])
    report = measure(loaded.items, per_item=per_item)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    table = Table(title=f"Grader sensitivity: {loaded.name}")
    for col in ("mistake", "rejected", "total"):
        table.add_column(col)
    for op, (rejected, total) in sorted(report.by_operator.items()):
        table.add_row(op, str(rejected), str(total))
    _out.print(table)
    _out.print(
        f"{report.rejected}/{report.mutants - report.equivalent} wrong answers rejected "
        f"({100 * report.sensitivity:.2f}%) over {report.items} items; {report.equivalent} equivalent mutants excluded"
    )
    for m in report.survivors:
        _out.print(f"[yellow]survived[/] {m.item_id} line {m.line}: {m.description}")
    if report.items_without_kill:
        _out.print(f"[red]items that reject no mutant:[/] {', '.join(report.items_without_kill)}")
