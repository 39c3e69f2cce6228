"""`triforce sources list|fetch|path`: the public trees Triforce reads, by name."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from triforce.cli._tables import Table
from triforce.corpus.sources import checkout_path, describe, fetch, manifest, tree, url_env

app = typer.Typer(
    help="Public source trees by name (usdasm, jpdasm, yaze, ...): list, fetch at the pinned commit, path.",
    no_args_is_help=True,
)
_out = Console()
_JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
_ROOT = typer.Option(
    None, "--cache", help="Cache folder of the checkouts (default: $TRIFORCE_SOURCES_DIR or ~/.cache)."
)


@app.command("list")
def list_cmd(root: Path | None = _ROOT, as_json: bool = _JSON) -> None:
    """Every tree of the manifest: remote, pinned commit, licence, origin, what it feeds, and
    whether it is fetched (with --json: the binaries a fetched asm tree leaves out)."""
    rows = [describe(name, root, binaries=as_json) for name in manifest()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("name", "kind", "origin", "licence", "commit", "fetched")
    for r in rows:
        fetched = "yes" if r["fetched"] else "no"
        table.add_row(r["name"], r["kind"], r["origin"], r["license"], r["commit"][:10], fetched)
    _out.print(table)
    for r in rows:
        _out.print(f"{r['name']}: {r['url']} ({'; '.join(r['feeds'])})", markup=False, highlight=False)


@app.command("fetch")
def fetch_cmd(
    names: list[str] = typer.Argument(..., help="Tree names (see `triforce sources list`), or 'all'."),
    url: str | None = typer.Option(
        None,
        "--url",
        help="Clone from this remote instead (one tree only; also $TRIFORCE_SOURCE_URL_<NAME>).",
    ),
    root: Path | None = _ROOT,
    as_json: bool = _JSON,
) -> None:
    """Clone each tree into the cache at its pinned commit (already there: nothing to do)."""
    chosen = list(manifest()) if names == ["all"] else [tree(n).name for n in names]
    if url is not None and len(chosen) != 1:
        raise typer.BadParameter("--url names the remote of one tree: fetch one name with it")
    done = []
    for name in chosen:
        path = fetch(name, url=url, root=root)
        done.append({"name": name, "path": str(path), "commit": tree(name).commit})
        if not as_json:
            _out.print(f"{name}: {path} @ {tree(name).commit[:10]}", markup=False)
    if as_json:
        typer.echo(json.dumps(done, indent=2))


@app.command("path")
def path_cmd(
    name: str = typer.Argument(..., help="A tree name."),
    root: Path | None = _ROOT,
    as_json: bool = _JSON,
) -> None:
    """Print where the tree's checkout is (exit 1 when it is not fetched at the pinned commit)."""
    entry = tree(name)
    if as_json:
        row = describe(entry.name, root)
        typer.echo(json.dumps(row, indent=2))
        raise typer.Exit(0 if row["fetched"] else 1)
    row = describe(entry.name, root, binaries=False)
    typer.echo(str(checkout_path(entry.name, root)))
    if not row["fetched"]:
        Console(stderr=True).print(
            f"{entry.name} is not fetched at {entry.commit[:10]}: run `triforce sources fetch {entry.name}`"
            f" (remote {entry.url}, override with ${url_env(entry.name)})",
            markup=False,
        )
        raise typer.Exit(1)
