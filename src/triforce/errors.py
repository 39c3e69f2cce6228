"""Exception hierarchy: every error Triforce raises on purpose derives from TriforceError.

The CLI turns these into a one-line, human-readable message and a non-zero exit code; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class TriforceError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(TriforceError):
    """A configuration file or option is invalid (the message names the file and field)."""


class InputError(TriforceError):
    """An input file is unreadable or malformed (the message names the file and line)."""


class ToolNotFoundError(TriforceError):
    """An external tool (asar, the bsnes core, a CUDA runtime) is missing."""


class OutputError(TriforceError):
    """An output file or folder cannot be written (read-only, full, not a folder); names the path."""
