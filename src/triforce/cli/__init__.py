"""The `triforce` command line: a thin layer over the library.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

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


def _print_version(value: bool) -> None:
    """Eager: `triforce --version` prints and exits before a command is looked for."""
    if value:
        from triforce import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Triforce: every assembly sample and every grade checked by asar and by execution."""


_err = Console(stderr=True)


def describe_os_error(exc: OSError) -> str:
    """An operating-system failure (read-only folder, full disk, missing file) as one line naming
    the path, as the user would act on it."""
    where = ": ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    why = exc.strerror or str(exc)
    return f"{where}: {why}" if where else why


def main() -> None:
    """Entry point: run the app, turning TriforceError (and an operating-system failure such as
    a read-only or full output folder) into a one-line message and exit code 2."""
    try:
        app()
    except TriforceError as exc:
        _err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as exc:
        _err.print(f"[bold red]error:[/] {escape(describe_os_error(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
