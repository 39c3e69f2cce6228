"""Triforce: verified data, training, evaluation and serving for SNES Zelda ROM-hacking models."""

__version__ = "0.1.0"
