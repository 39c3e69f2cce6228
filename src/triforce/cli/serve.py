"""`triforce serve` (the OpenAI-compatible gateway) and `triforce route` (show the router's choice)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

if TYPE_CHECKING:
    from triforce.serve.gateway import Gateway

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
    timeout: float = typer.Option(
        120.0, "--timeout", min=0.1, help="Seconds to wait for an upstream answer."
    ),
    retries: int = typer.Option(1, "--retries", min=0, help="Retries per MoE specialist call."),
    max_body: int = typer.Option(1 << 20, "--max-body", min=1024, help="Largest request body in bytes."),
    max_in_flight: int = typer.Option(
        32, "--max-in-flight", min=1, help="Requests answered at once; more get 503."
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="TRIFORCE_API_KEY", help="Require `Authorization: Bearer KEY` from callers."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request line."),
    check: bool = typer.Option(
        False,
        "--check",
        help="Ask every upstream which models it serves, print the table and exit (1 if any is missing).",
    ),
) -> None:
    """Serve the registry's models behind one OpenAI-compatible endpoint, routing `oracle-council`."""
    from triforce.serve.app import ServeOptions, make_server
    from triforce.serve.gateway import Gateway, parse_overrides
    from triforce.serve.router import load_router_config

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=_err, show_path=False)],
    )
    gateway = Gateway.from_files(
        registry, load_router_config(router) if router else None, parse_overrides(upstream)
    )
    options = ServeOptions(
        timeout_s=timeout,
        retries=retries,
        max_body_bytes=max_body,
        max_in_flight=max_in_flight,
        api_key=api_key,
    )
    if check:
        _check_upstreams(gateway, timeout)
        return
    try:
        server = make_server(gateway, host, port, options)
    except OSError as exc:
        from triforce.errors import ConfigError

        raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc.strerror})") from exc
    table = Table(title=f"triforce serve on {server.url}/v1")
    for col in ("model", "mode", "upstream"):
        table.add_column(col)
    for served in gateway.models.values():
        up = served.upstream.base_url if served.upstream else "[red]none[/]"
        if served.loop:
            up = f"[red]{up} (this server!)[/]"
        mode = served.mode + (f" → {served.entry.name}" if served.alias_of else "")
        table.add_row(served.name, mode, up)
    _err.print(table)
    log = logging.getLogger("triforce.serve")
    if host not in ("127.0.0.1", "localhost", "::1") and not api_key:
        log.warning("listening on %s without --api-key: anyone who can reach it can use the models", host)
    log.info("listening on %s/v1 (Ctrl-C stops)", server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _err.print("shutting down")
    finally:
        server.server_close()


def _check_upstreams(gateway: Gateway, timeout: float) -> None:
    from triforce.serve.upstream import UpstreamClient

    client = UpstreamClient(timeout_s=min(timeout, 10.0))
    try:
        report = gateway.probe(client)
    finally:
        client.close()
    table = Table(title="upstreams")
    for col in ("upstream", "status", "serves", "missing"):
        table.add_column(col)
    for base, r in report.items():
        status = "[green]up[/]" if r["ok"] else f"[red]{r['error']}[/]"
        table.add_row(base, status, ", ".join(r["serves"]), f"[red]{', '.join(r['missing'])}[/]")
    _out.print(table)
    if any(not r["ok"] or r["missing"] for r in report.values()):
        raise typer.Exit(1)


def route(
    prompt: str | None = typer.Argument(None, help="The request text to route."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    router: Path | None = typer.Option(
        None, "--router", help="Router config YAML (default: packaged router.yaml)."
    ),
    evaluate: bool = typer.Option(
        False, "--evaluate", help="Measure routing accuracy on labelled examples (default: the held-out set)."
    ),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="Fit weights and threshold on labelled examples (default: the training set).",
    ),
    examples: Path | None = typer.Option(
        None, "--examples", help='Labelled JSONL: {"text", "domains": [...]}.'
    ),
    out: Path | None = typer.Option(
        None, "--out", help="With --calibrate: where to write the fitted router YAML."
    ),
) -> None:
    """Show which model oracle-council would pick for PROMPT, and why."""
    from triforce.errors import InputError
    from triforce.serve.calibrate import bundled_examples, fit, load_examples, write_router_config
    from triforce.serve.calibrate import evaluate as measure
    from triforce.serve.router import Router, load_router_config

    config = load_router_config(router)
    if calibrate:
        if out is None:
            raise InputError("--calibrate needs --out PATH (the packaged router.yaml is not overwritten)")
        fitted = fit(config, load_examples(examples) if examples else bundled_examples("train"))
        write_router_config(fitted, out)
        acc = measure(Router(fitted), bundled_examples("heldout"))
        _report({"written": str(out), "threshold": fitted.threshold, "heldout": acc.to_json()}, as_json)
        return
    if evaluate:
        acc = measure(Router(config), load_examples(examples) if examples else bundled_examples("heldout"))
        _report(acc.to_json(), as_json)
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


def _report(data: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    acc = data.get("heldout", data)
    assert isinstance(acc, dict)
    if "written" in data:
        _out.print(f"wrote {data['written']} (threshold {data['threshold']})")
    _out.print(
        f"route accuracy {acc['route_accuracy']:.1%}, domain-set accuracy {acc['domain_set_accuracy']:.1%} "
        f"on {acc['n']} labelled requests"
    )
    by_kind = acc["by_kind"]
    assert isinstance(by_kind, dict)
    _out.print("  " + ", ".join(f"{k} {v['correct']}/{v['n']}" for k, v in by_kind.items()))
    for err in acc["errors"]:
        _out.print(
            f"  [red]✗[/] {err['text']!r}: expected {err['expected']['model']}, got {err['got']['model']}"
        )
