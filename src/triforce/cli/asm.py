"""`triforce asm ...`: assemble, run and disassemble 65816 code."""

from __future__ import annotations

import typer

from triforce.cli import asm_exec

app = typer.Typer(help="Assemble, run and disassemble 65816 code.", no_args_is_help=True)
asm_exec.register(app)
