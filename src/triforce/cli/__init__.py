"""The `triforce` command line: a thin layer over the library.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from triforce.cli import asm, build, corpus, cpu, dataset, doctor
from triforce.cli import refine, serve
from triforce.cli import graphics
from triforce.cli import lore, quest
from triforce.cli import sources as sources_cli
from triforce.cli import cpp as cpp_cli
from triforce.cli import review_web  # noqa: F401  (adds `review serve|add-reviewer|settings`)
from triforce.cli import text as text_cli
from triforce.cli import eval as eval_cli
from triforce.cli import train as train_cli
from triforce.errors import TriforceError

app = typer.Typer(
    name="triforce",
    help="Verified training data, training, evaluation and serving for SNES Zelda ROM-hacking models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("doctor")(doctor.doctor)
app.add_typer(asm.app, name="asm")
app.add_typer(cpu.app, name="cpu")
app.command("build")(build.build)
app.command("serve")(serve.serve)
app.command("route")(serve.route)
app.add_typer(eval_cli.app, name="eval")
app.add_typer(corpus.app, name="corpus")
app.add_typer(dataset.app, name="dataset")
app.add_typer(train_cli.train_app, name="train")
app.command("plan")(train_cli.plan)
app.command("models")(train_cli.models)
app.add_typer(refine.refine_app, name="refine")
app.add_typer(refine.review_app, name="review")
app.add_typer(graphics.gfx_app, name="gfx")
app.add_typer(graphics.lz_app, name="lz")
app.add_typer(lore.app, name="lore")
app.add_typer(quest.app, name="quest")
app.add_typer(cpp_cli.app, name="cpp")
app.add_typer(text_cli.app, name="text")
app.add_typer(sources_cli.app, name="sources")


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Triforce: every assembly sample and every grade checked by asar and by execution."""
    if version:
        from triforce import __version__

        typer.echo(__version__)
        raise typer.Exit()


_err = Console(stderr=True)


def main() -> None:
    """Entry point: run the app, turning TriforceError into a clean message and exit code 2."""
    try:
        app()
    except TriforceError as exc:
        _err.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
