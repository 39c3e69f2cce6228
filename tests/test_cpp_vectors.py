"""The C++ catalogue's vectors are right: each expected output is re-derived by the Python model
written beside it (tools/eval_suites/cpp_suite.py's models are checked when the suite is built)."""

from __future__ import annotations

from typing import Any

from triforce.generate.cpp import catalogue

_CALLS = {
    "mz::compress::Decompress": lambda f, b: f(b),
    "mz::text::LineWidths": lambda f, b: f(b),
    "mz::gfx::UnpackPlanar": lambda f, b: f(b, 2),
    "mz::gfx::SnesColorsToRgb": lambda f, b: f(b),
}


def test_vectors_match_the_python_models() -> None:
    vectors = catalogue()["vectors"]
    assert set(vectors) == set(_CALLS)
    for name, spec in vectors.items():
        scope: dict[str, Any] = {}
        exec(spec["python"], scope)  # our own model, from the catalogue
        model = next(v for k, v in scope.items() if callable(v) and not k.startswith("__"))
        for inp, want in spec["cases"]:
            assert _CALLS[name](model, bytes.fromhex(inp)).hex() == want, (name, inp)


def test_injected_bugs_name_catalogued_functions() -> None:
    cat = catalogue()
    assert {b["function"] for b in cat["injected_bugs"]} <= set(cat["vectors"])
    assert len({b["id"] for b in cat["injected_bugs"] + cat["known_defects"]}) == 10
