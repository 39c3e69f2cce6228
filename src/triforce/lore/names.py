"""Name normalisation shared by everything that matches names a person or a model wrote."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

# libyaml's loader is ~8x faster than the pure-Python one on the KB files (when installed).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ARTICLE = re.compile(r"^(the|a|an) ")


@lru_cache(maxsize=1 << 16)
def normalise(text: str) -> str:
    """Lower case, no punctuation or leading article: "the Tower of Hera!" -> "tower of hera".

    Apostrophes vanish ("Ganon's Tower" -> "ganons tower"), hyphens and underscores are spaces."""
    text = text.lower().replace("’", "'").replace("'", "")
    text = re.sub(r"[-_]+", " ", text)
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _ARTICLE.sub("", text)


def slug(text: str) -> str:
    """An identifier from a name: "Ganon's Tower" -> "ganons_tower"."""
    return normalise(text).replace(" ", "_")


def load_yaml(text: str) -> Any:
    """Parse YAML data (safe subset), with libyaml when available."""
    return yaml.load(text, Loader=_LOADER)
