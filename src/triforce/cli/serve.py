"""`triforce serve` (the OpenAI-compatible gateway) and `triforce route` (show the router's choice)."""

from __future__ import annotations

import json
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer
from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from triforce.serve.gateway import Gateway, ServedModel

_out = Console()
_err = Console(stderr=True)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port to listen on."),
    registry: Path | None = typer.Option(
        None, "--registry", help="Model registry TOML (default: packaged models.toml, or $TRIFORCE_MODELS)."
    ),
    upstream: list[str] = typer.Option(
        [], "--upstream", help="NAME=URL: serve model NAME from this OpenAI-compatible base URL (repeatable)."
    ),
    router: Path | None = typer.Option(
        None, "--router", help="Router config YAML (default: packaged router.yaml)."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes (share only the config)."
    ),
    timeout: float = typer.Option(
        120.0,
        "--timeout",
        min=0.1,
        help="Seconds to wait for an upstream answer (between chunks when streaming).",
    ),
    retries: int = typer.Option(
        1,
        "--retries",
        min=0,
        max=5,
        help="Safe retries per upstream call (never after stream bytes went out).",
    ),
    max_body: int = typer.Option(1 << 20, "--max-body", min=1024, help="Largest request body in bytes."),
    max_answer: int = typer.Option(
        8 << 20,
        "--max-answer",
        min=1024,
        help="Largest upstream answer in bytes (a body or a whole stream); a longer one is cut with an error.",
    ),
    max_in_flight: int = typer.Option(
        64, "--max-in-flight", min=1, help="Requests answered at once per worker; more wait in the queue."
    ),
    max_queue: int = typer.Option(
        256, "--max-queue", min=0, help="Requests waiting for a slot per worker; more get 503 + Retry-After."
    ),
    queue_timeout: float = typer.Option(
        10.0, "--queue-timeout", min=0.0, help="Seconds a request may wait for a slot before 503."
    ),
    breaker_failures: int = typer.Option(
        5, "--breaker-failures", min=1, help="Consecutive failures that open an upstream's circuit breaker."
    ),
    breaker_cooldown: float = typer.Option(
        30.0, "--breaker-cooldown", min=0.1, help="Seconds an open breaker refuses before one probe."
    ),
    fallback: bool = typer.Option(
        True, "--fallback/--no-fallback", help="Follow the registry's fallback chains when a model fails."
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Check every checkable answer and escalate failures to triforce-sage."
    ),
    max_escalations: int = typer.Option(
        1, "--max-escalations", min=0, max=3, help="Re-asks of triforce-sage after a failed check."
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="TRIFORCE_API_KEY", help="Require `Authorization: Bearer KEY` from callers."
    ),
    cors_origin: list[str] = typer.Option(
        [], "--cors-origin", help="Browser origin allowed to call the API (repeatable; * = any)."
    ),
    log_bodies: bool = typer.Option(False, "--log-bodies", help="Put request messages into the access log."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="One JSON line per request."),
    graceful: float = typer.Option(
        30.0, "--graceful", min=0.0, help="On SIGTERM/Ctrl-C, seconds in-flight requests may take to finish."
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Ask every upstream which models it serves, print the table and exit (1 if any is missing).",
    ),
    as_json: bool = typer.Option(False, "--json", help="With --check: machine-readable output."),
) -> None:
    """Serve the registry's models behind one OpenAI-compatible endpoint, routing `oracle-council`."""
    from triforce.serve import accesslog
    from triforce.serve.gateway import parse_overrides
    from triforce.serve.server import bind, build_gateway, run
    from triforce.serve.settings import ServeOptions, ServeSettings

    options = ServeOptions(
        timeout_s=timeout,
        retries=retries,
        max_body_bytes=max_body,
        max_answer_bytes=max_answer,
        max_in_flight=max_in_flight,
        max_queue=max_queue,
        queue_timeout_s=queue_timeout,
        api_key=api_key,
        breaker_failures=breaker_failures,
        breaker_cooldown_s=breaker_cooldown,
        fallback=fallback,
        verify=verify,
        max_escalations=max_escalations,
        cors_origins=tuple(cors_origin),
        log_bodies=log_bodies,
        access_log=access_log,
        graceful_s=graceful,
    )
    settings = ServeSettings(
        options=options,
        registry=str(registry) if registry else None,
        router=str(router) if router else None,
        overrides=parse_overrides(upstream),
        host=host,
        port=port,
    )
    gateway = build_gateway(settings)  # config errors surface here, once, before anything starts
    if check:
        _check_upstreams(gateway, timeout, as_json)
        return
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    settings = ServeSettings(
        settings.options, settings.registry, settings.router, settings.overrides, host, actual
    )
    accesslog.configure(access=access_log)
    loops = gateway.mark_loops(host, actual)
    _err.print(_served_table(gateway, loops))
    log = logging.getLogger("triforce.serve")
    if host not in ("127.0.0.1", "localhost", "::1") and not api_key:
        log.warning("listening on %s without --api-key: anyone who can reach it can use the models", host)
    shown = f"[{host}]" if ":" in host else host
    log.info("listening on http://%s:%d/v1 (%d worker(s); Ctrl-C stops)", shown, actual, workers)
    # uvicorn re-raises the signal that stopped it once it has shut down: SIGTERM then ends quietly.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        run(settings, sock, workers)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    _err.print("shut down")


def _served_table(gateway: Gateway, loops: list[ServedModel]) -> Table:
    table = Table(title="triforce serve", title_justify="left")
    table.add_column("model", no_wrap=True)
    table.add_column("mode", overflow="fold")
    table.add_column("endpoint", overflow="fold")
    looped = {m.name for m in loops}
    for served in gateway.models.values():
        up = _endpoint(served.upstream.base_url) if served.upstream else "[red]none[/]"
        if served.name in looped:
            up = f"[red]{up} (this server!)[/]"
        mode = served.mode + (f" → {served.entry.name}" if served.alias_of else "")
        table.add_row(served.name, mode, up)
    return table


def _endpoint(base_url: str) -> str:
    """host:port/path without the scheme: short enough for an 80-column table."""
    return base_url.split("://", 1)[-1].rstrip("/")


def _check_upstreams(gateway: Gateway, timeout: float, as_json: bool) -> None:
    import asyncio

    from triforce.serve.upstream import UpstreamClient

    async def probe() -> dict[str, dict[str, object]]:
        client = UpstreamClient(timeout_s=min(timeout, 10.0))
        try:
            return await gateway.probe(client)
        finally:
            await client.aclose()

    report = asyncio.run(probe())
    rows = []  # one row per model: readable at 80 columns whatever the URLs
    for base, r in report.items():
        serves = set(cast(list[str], r["serves"]))
        for model in sorted({m.upstream.model for m in gateway.models.values()
                             if m.upstream and m.upstream.base_url == base and m.mode != "category"}):  # fmt: skip
            if not r["ok"]:
                status = f"down: {r['error']}"
            elif model in serves:
                status = "ok"
            else:
                status = "missing: the server does not list it"
            rows.append({"model": model, "endpoint": base, "ok": status == "ok", "status": status})
    problems = [row for row in rows if not row["ok"]]
    if as_json:
        typer.echo(json.dumps({"ok": not problems, "models": rows, "upstreams": report}, indent=2))
    else:
        table = Table(
            title=f"upstreams: {len(rows) - len(problems)}/{len(rows)} models served", title_justify="left"
        )
        table.add_column("model", no_wrap=True)
        table.add_column("endpoint", overflow="fold")
        table.add_column("status", overflow="fold")
        for row in rows:
            color = "green" if row["ok"] else "red"
            table.add_row(str(row["model"]), _endpoint(str(row["endpoint"])), f"[{color}]{row['status']}[/]")
        _out.print(table)
    if problems:
        raise typer.Exit(1)


def route(
    prompt: str | None = typer.Argument(None, help="The request text to route."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    router: Path | None = typer.Option(
        None, "--router", help="Router config YAML (default: packaged router.yaml)."
    ),
    evaluate: bool = typer.Option(
        False,
        "--evaluate",
        help="Accuracy per domain and the confusion matrix on labelled requests "
        "(default: the held-out paraphrases, the dataset's held-out split and the eval suites' prompts).",
    ),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="Fit vocabulary, weights, calibration and threshold (default data: the packaged training set).",
    ),
    examples: list[Path] = typer.Option(
        [], "--examples", help='Labelled JSONL: {"text", "domains": [...]} (repeatable).'
    ),
    from_dataset: list[Path] = typer.Option(
        [],
        "--from-dataset",
        help="Curated samples (a build folder or Sample JSONL): their prompts, labelled by task (repeatable).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="With --calibrate: where to write the fitted router YAML."
    ),
) -> None:
    """Show which model oracle-council would pick for PROMPT, and why; measure or refit the router."""
    from triforce.errors import InputError
    from triforce.serve.calibrate import (
        bundled_examples,
        dataset_examples,
        fit,
        load_examples,
        suite_examples,
        write_router_config,
    )
    from triforce.serve.calibrate import evaluate as measure
    from triforce.serve.router import Router, load_router_config

    config = load_router_config(router)
    given = [ex for path in examples for ex in load_examples(path)]
    mined = dataset_examples(from_dataset) if from_dataset else []
    if calibrate:
        if out is None:
            raise InputError("--calibrate needs --out PATH (the packaged router.yaml is not overwritten)")
        train = given or bundled_examples("train")
        train += [ex for ex in mined if ex.split == "train"]
        fitted = fit(config, train)
        write_router_config(fitted, out)
        heldout = (
            bundled_examples("heldout") + [ex for ex in mined if ex.split == "heldout"] + suite_examples()
        )
        acc = measure(Router(fitted), heldout)
        report = {"written": str(out), "trained_on": len(train), "threshold": fitted.threshold,
                  "vocabulary": len(fitted.vocabulary), "heldout": acc.to_json()}  # fmt: skip
        _report(report, as_json)
        return
    if evaluate:
        labelled = given + [ex for ex in mined if ex.split == "heldout"]
        if not labelled:
            labelled = bundled_examples("heldout") + suite_examples()
        _report(measure(Router(config), labelled).to_json(), as_json)
        return
    if not prompt:
        raise InputError("give a PROMPT to route, or --evaluate / --calibrate")
    decision = Router(config).route(prompt)
    if as_json:
        typer.echo(json.dumps(decision.to_json(), indent=2, ensure_ascii=False))
        return
    target = decision.model
    if decision.kind == "moe":
        target += " ← " + ", ".join(m for _, m in decision.experts)
    _out.print(f"[bold]{decision.kind}[/] ({decision.scope}) → [bold cyan]{target}[/]")
    for reason in decision.reasons:
        _out.print(f"  {reason}")


_SHORT = {"asm": "asm", "graphics": "gfx", "compression": "cmp", "cpp": "c++", "lore": "lore",
          "quest": "qst", "dialogue": "dlg", "teaching": "tch", "cross": "crs", "unclear": "moe"}  # fmt: skip


def _report(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    acc = data.get("heldout", data)
    if "written" in data:
        _out.print(
            f"wrote {data['written']}: fitted on {data['trained_on']} requests, "
            f"{data['vocabulary']} words, threshold {data['threshold']}"
        )
    cal = acc["calibration"]
    _out.print(
        f"route accuracy {acc['route_accuracy']:.1%} on {acc['n']} labelled requests "
        f"(domain-set {acc['domain_set_accuracy']:.1%}; calibration ECE {cal['ece']:.3f}, Brier {cal['brier']:.3f})"
    )
    _out.print(
        "  by source: " + ", ".join(f"{k} {v['correct']}/{v['n']}" for k, v in acc["by_source"].items())
    )
    targets = list(acc["confusion"])
    columns = [t for t in _SHORT if any(t in row for row in acc["confusion"].values()) or t in targets]
    table = Table(
        title="per domain (rows: expected, columns: routed to)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("expected", no_wrap=True)
    table.add_column("acc", justify="right", no_wrap=True)
    for col in columns:
        table.add_column(_SHORT.get(col, col[:4]), justify="right", no_wrap=True)
    for t in sorted(targets, key=lambda t: list(_SHORT).index(t) if t in _SHORT else 99):
        row = acc["confusion"][t]
        hit, n = acc["per_domain"][t]["correct"], acc["per_domain"][t]["n"]
        cells = [str(row.get(c, "")) if c != t else f"[bold]{row.get(c, 0)}[/]" for c in columns]
        table.add_row(t, f"{hit / n:.0%}", *cells)
    _out.print(table)
    for err in acc["errors"][:20]:
        text = err["text"].replace("\n", " ")
        _out.print(f"  [red]✗[/] {text[:44]!r}: {err['expected']['model']} → {err['got']['model']}")
    if len(acc["errors"]) > 20:
        _out.print(f"  ... and {len(acc['errors']) - 20} more (--json lists them all)")
