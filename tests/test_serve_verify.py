"""Verify, then escalate: a specialist's checkable answer is proven (asar + execution) before the
caller sees it, and a failed one is re-asked of triforce-sage with the finding as context."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from serve_helpers import chat, overrides, serving, sse
from triforce.serve.checks import asm_context, check_asm
from triforce.serve.gateway import Gateway
from triforce.serve.loopback import LoopbackUpstream
from triforce.serve.verify import CheckContext

ASK = "Write an asar routine AddTen that adds 10 to the rupee goal at $7EF360 and returns with RTL."
GOOD = "Here it is:\n```asm\nAddTen:\n  LDA $7EF360\n  CLC\n  ADC #$0A\n  STA $7EF360\n  RTL\n```"
NO_ASSEMBLE = "```asm\nAddTen:\n  STZ $7EF360\n  RTL\n```"  # there is no long STZ: asar refuses it
LOOPS = "```asm\nAddTen:\n  BRA AddTen\n  RTL\n```"
OFF_BY_ONE = "```asm\nAddTen:\n  LDA $7EF360\n  CLC\n  ADC #$0B\n  STA $7EF360\n  RTL\n```"
SPEC = {
    "kind": "asm-exec",
    "entry": "AddTen",
    "convention": "jsl",
    "states": [
        {"name": "5 rupees", "initial": {"memory": {"$7EF360": 5}}, "expect": {"mem": {"$7EF360": 15}}},
    ],
}


@pytest.fixture(scope="module")
def ups() -> Iterator[tuple[LoopbackUpstream, LoopbackUpstream]]:
    pair = LoopbackUpstream().start_in_thread(), LoopbackUpstream().start_in_thread()
    yield pair
    for up in pair:
        up.stop()


@pytest.fixture()
def fresh(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> tuple[LoopbackUpstream, LoopbackUpstream]:
    for up in ups:
        up.reset()
    return ups


def _verify(client: httpx.Client, verify: object = True, **extra: object) -> httpx.Response:
    return chat(client, "oracle-council", ASK, x_triforce={"verify": verify}, **extra)


def test_the_asm_checker_proves_what_it_can() -> None:
    ctx = CheckContext(messages=[])
    assert check_asm(GOOD, ctx).status == "passed"
    bad = check_asm(NO_ASSEMBLE, ctx)
    assert (bad.status, bad.code) == ("failed", "assemble-error") and "Eunknown_command" in bad.reason
    loop = check_asm(LOOPS, ctx)
    assert (loop.status, loop.code) == ("failed", "instruction-limit")
    wrong_return = check_asm("```asm\nF:\n  PHA\n  RTS\n```", ctx)  # pulls a byte it never pushed back
    assert wrong_return.status == "failed"
    assert check_asm("Link is the hero of Hyrule.", ctx).status == "unchecked"
    assert check_asm("```asm\norg $0DDB7F\n  JSL $3F8000\n```", ctx).status == "passed"  # a patch: assembles


def test_a_passing_specialist_answer_is_returned_with_its_evidence(
    fresh: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    fresh[0].answers["euclid-asm"] = GOOD
    with serving(Gateway.from_files(overrides=overrides(*fresh))) as (_srv, c):
        r = _verify(c)
    assert r.status_code == 200 and r.json()["model"] == "euclid-asm"
    verify = r.json()["x_triforce"]["verify"]
    assert verify["status"] == "passed" and verify["escalations"] == 0 and verify["checker"] == "asm"
    assert verify["attempts"][0]["checks"][1]["passed"] and r.headers["X-Triforce-Verified"] == "passed"
    assert fresh[1].counts["triforce-sage"] == 0


@pytest.mark.parametrize("wrong", [NO_ASSEMBLE, LOOPS])
def test_a_failing_answer_is_escalated_to_triforce_sage_with_the_finding(
    fresh: tuple[LoopbackUpstream, LoopbackUpstream], wrong: str
) -> None:
    fresh[0].answers["euclid-asm"] = wrong
    fresh[1].answers["triforce-sage"] = GOOD
    with serving(Gateway.from_files(overrides=overrides(*fresh))) as (_srv, c):
        r = _verify(c)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "triforce-sage" and body["choices"][0]["message"]["content"] == GOOD
    verify = body["x_triforce"]["verify"]
    assert [a["model"] for a in verify["attempts"]] == ["euclid-asm", "triforce-sage"]
    assert [a["status"] for a in verify["attempts"]] == ["failed", "passed"]
    assert verify["status"] == "passed" and verify["answered_by"] == "triforce-sage"
    asked = fresh[1].requests[-1]["body"]["messages"]
    assert asked[-2] == {"role": "assistant", "content": wrong}
    assert "failed" in asked[-1]["content"] and verify["attempts"][0]["reason"][:30] in asked[-1]["content"]


def test_when_nothing_passes_the_last_answer_is_marked_failed(
    fresh: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    fresh[0].answers["euclid-asm"] = NO_ASSEMBLE
    fresh[1].answers["triforce-sage"] = LOOPS
    with serving(Gateway.from_files(overrides=overrides(*fresh)), max_escalations=2) as (_srv, c):
        r = _verify(c)
    verify = r.json()["x_triforce"]["verify"]
    assert r.status_code == 200 and r.headers["X-Triforce-Verified"] == "failed"
    assert verify["status"] == "failed" and verify["escalations"] == 2 and len(verify["attempts"]) == 3
    assert r.json()["choices"][0]["message"]["content"] == LOOPS


def test_a_grading_spec_proves_the_answer_against_its_contract(
    fresh: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    fresh[0].answers["euclid-asm"] = OFF_BY_ONE  # assembles and returns: only the contract catches it
    fresh[1].answers["triforce-sage"] = GOOD
    with serving(Gateway.from_files(overrides=overrides(*fresh))) as (_srv, c):
        plain = _verify(c)
        graded = _verify(c, {"grading": SPEC})
        bad = _verify(c, {"grading": {"kind": "nope"}})
        no_states = _verify(c, {"grading": SPEC | {"states": []}})
    assert plain.json()["model"] == "euclid-asm"  # the spec-free check cannot know 10 from 11
    verify = graded.json()["x_triforce"]["verify"]
    assert verify["checker"] == "grading:asm-exec" and verify["attempts"][0]["code"] == "wrong-memory"
    assert "expected $0F, got $10" in verify["attempts"][0]["reason"]
    assert graded.json()["model"] == "triforce-sage" and verify["status"] == "passed"
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "x_triforce.verify.grading.kind"
    assert (
        no_states.status_code == 400
        and no_states.json()["error"]["param"] == "x_triforce.verify.grading.states"
    )


def test_streamed_verified_answer_and_the_server_flag(
    fresh: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    fresh[0].answers["euclid-asm"] = NO_ASSEMBLE
    fresh[1].answers["triforce-sage"] = GOOD
    with serving(Gateway.from_files(overrides=overrides(*fresh)), verify=True) as (_srv, c):
        with c.stream(
            "POST", "/v1/chat/completions",
            json={"model": "oracle-council", "stream": True, "messages": [{"role": "user", "content": ASK}]},
        ) as s:  # fmt: skip
            events, done = sse(s)
        opted_out = _verify(c, False)
        lore = chat(c, "oracle-council", "Who forged the Master Sword, according to the legend?")
    assert (
        done and events[0]["model"] == "triforce-sage" and events[-1]["choices"][0]["finish_reason"] == "stop"
    )
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events) == GOOD
    assert events[0]["x_triforce"]["verify"]["status"] == "passed"
    assert opted_out.json()["model"] == "euclid-asm" and "verify" not in opted_out.json()["x_triforce"]
    assert lore.json()["x_triforce"]["verify"]["status"] == "unchecked"  # no lore checker: said so


def test_bad_x_triforce_is_a_400(fresh: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    with serving(Gateway.from_files(overrides=overrides(*fresh))) as (_srv, c):
        for value, param in (("yes", "x_triforce.verify"), ({"grading": 1}, "x_triforce.verify")):
            r = _verify(c, value)
            assert r.status_code == 400 and r.json()["error"]["param"] == param
        r = chat(c, "euclid-asm", "x", x_triforce=[1])
        assert r.status_code == 400 and r.json()["error"]["param"] == "x_triforce"


WIDE = "```asm\nAddTen:\n  LDA #$000A\n  CLC\n  ADC $7EF360\n  STA $7EF360\n  RTL\n```"  # 16-bit immediate
SHORT_RETURN = "```asm\nHelper:\n  RTS\nAddTen:\n  LDA $7EF360\n  CLC\n  ADC #$0A\n  STA $7EF360\n  RTS\n```"


def _ctx(text: str) -> CheckContext:
    return CheckContext(messages=[{"role": "user", "content": text}])


def test_the_asm_check_takes_the_call_from_the_request() -> None:
    context = asm_context(
        [
            {
                "role": "user",
                "content": "Write `AddTen` (called with JSL), 16-bit A, 8-bit X/Y, DB=$7F, D=$0300.",
            }
        ],
        ["Helper", "AddTen"],
    )
    assert (context.entry, context.convention, context.a16, context.x16) == ("AddTen", "jsl", True, False)
    assert (context.db, context.d) == (0x7F, 0x0300) and context.initial() == {
        "p": 0x10,
        "db": 0x7F,
        "d": 0x0300,
    }
    rep = asm_context([{"role": "user", "content": "It is entered with REP #$30."}], [])
    assert (rep.a16, rep.x16) == (True, True) and rep.initial() == {"p": 0x00}
    # With 8-bit A (nothing said) LDA #$000A leaves $00 to run as BRK; said 16-bit, it returns.
    assert check_asm(WIDE, _ctx("Write AddTen.")).code == "bad-stop"
    wide = check_asm(WIDE, _ctx("Write AddTen; it is called with 16-bit A."))
    assert wide.status == "passed" and "16-bit A" in wide.reason
    # The named routine is the entry (not the first label), and "called with JSL" is the convention:
    # an RTS answer then fails where the RTS the answer ends with would have made it pass.
    assert check_asm(SHORT_RETURN, _ctx("Write the routine AddTen.")).status == "passed"
    jsl = check_asm(SHORT_RETURN, _ctx("Write the routine AddTen (called with JSL)."))
    assert jsl.status == "failed" and "AddTen (called by JSL)" in jsl.reason


def test_the_requests_call_context_decides_escalation_through_the_gateway(
    fresh: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    fresh[0].answers["euclid-asm"] = WIDE
    fresh[1].answers["triforce-sage"] = GOOD
    ask16 = ASK + " It is called with JSL, with 16-bit A."
    with serving(Gateway.from_files(overrides=overrides(*fresh))) as (_srv, c):
        wide = chat(c, "oracle-council", ask16, x_triforce={"verify": True})
        neutral = _verify(c)
    assert wide.json()["model"] == "euclid-asm"
    assert "16-bit A" in wide.json()["x_triforce"]["verify"]["attempts"][0]["checks"][1]["message"]
    assert neutral.json()["model"] == "triforce-sage"  # 8-bit A: the wide answer crashes, escalated
