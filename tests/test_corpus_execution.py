"""Every bundled routine, executed by `triforce.snes.machine.run_routine` on each of its
`; @test` seed states: it returns normally (RTS to a JSR, RTL to a JSL) within an instruction
limit, leaves S and DB as it found them, and produces what its `=>` expectations say."""

from __future__ import annotations

import pytest

from triforce.corpus import Routine, bundled_corpus
from triforce.snes.asar import AssembleResult, assemble
from triforce.snes.machine import run_routine

MAX_INSTRUCTIONS = 20_000
_CORPUS = bundled_corpus()
_CASES = [(r, i) for r in _CORPUS.routines for i in range(len(r.tags.tests))]


@pytest.fixture(scope="module")
def assembled() -> dict[str, AssembleResult]:
    out = {}
    for r in _CORPUS.routines:
        result = assemble(r.standalone(), org=None)
        assert result.ok, (r.name, [d.message for d in result.diagnostics])
        out[r.name] = result
    return out


@pytest.mark.parametrize(
    ("routine", "index"), _CASES, ids=[f"{r.name}-{r.tags.tests[i].name}" for r, i in _CASES]
)
def test_routine_on_seed(routine: Routine, index: int, assembled: dict[str, AssembleResult]) -> None:
    seed = routine.tags.tests[index]
    state = seed.machine_state()
    convention = "jsr" if routine.returns == "rts" else "jsl"
    run = run_routine(
        assembled[routine.name], routine.name, state, convention=convention, max_instructions=MAX_INSTRUCTIONS
    )
    assert run.returned, f"{run.reason} (escaped at {run.escaped_at})"
    final = run.final
    assert final.s == state.s, "stack not balanced"
    assert final.db == state.db, "data bank not restored"
    assert final.d == state.d, "direct page not restored"
    assert seed.has_expectations, "seed states come with expectations"

    def read(address: int) -> int:
        return final.memory.get(address, state.memory.get(address, 0))

    problems = seed.check(final.a, final.x, final.y, final.p, read)
    assert not problems, "; ".join(problems)


def test_a_wrong_convention_is_caught(assembled: dict[str, AssembleResult]) -> None:
    """The harness is not lenient: an RTL routine entered with JSR does not return normally."""
    routine = _CORPUS.by_name()["Rupees_Add"]
    run = run_routine(
        assembled["Rupees_Add"], "Rupees_Add", routine.tags.tests[0].machine_state(), convention="jsr",
        max_instructions=MAX_INSTRUCTIONS,
    )  # fmt: skip
    assert not run.returned
