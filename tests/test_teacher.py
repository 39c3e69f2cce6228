"""The teacher client end to end: the project's reference server plays a teacher over HTTP, and the
build keeps only prose the lore and quest checkers prove; wrong answers are repaired (locally or
by sending the problems back) or rejected with their reasons; answers are cached and budgeted."""

from __future__ import annotations

import json
import re
from pathlib import Path

from triforce.evaluate.reference_server import serve_references
from triforce.generate.build import BuildOptions, run_build
from triforce.generate.lore_text import explain
from triforce.generate.prose_gen import _lore_tasks, configure
from triforce.generate.quest_gen import design_answer
from triforce.generate.routines import load_routines
from triforce.generate.teacher import Teacher, TeacherConfig, TeacherTask
from triforce.generate.verify import verify_samples
from triforce.lore import vanilla
from triforce.quest.templates import fill, slots

KB = vanilla()
ENTITIES = [info["entity"] for _, info in _lore_tasks(KB, 6)]
REPAIRED_BY_TEACHER, ALWAYS_WRONG, LOCAL_FIX, NO_BLOCK = ENTITIES[:4]


def _right(entity: str) -> str:
    made = explain(KB, entity)
    assert made is not None
    return "Here is what the game says.\n\n" + made[0]


def _teacher(messages: list[dict[str, str]]) -> str:
    """A teacher with habits: mostly right, sometimes wrong in ways the checkers must catch."""
    first = messages[1]["content"]
    sent_back = any("fails these checks" in m["content"] for m in messages if m["role"] == "user")
    found = re.search(r"Write three or four sentences about (.+?) for a player", first)
    if found:
        entity = KB.resolve(found.group(1))
        assert entity is not None
        text = _right(entity.id)
        if entity.id == REPAIRED_BY_TEACHER and not sent_back:
            return text.replace('"cite": "', '"cite": "x').replace(
                "\n```", "\n```\n\nAlso, it is guarded by Trinexx.", 1
            )
        if entity.id == ALWAYS_WRONG:
            claims = text.split("```claims\n")[1].split("\n```")[0]
            rows = json.loads(claims)
            rows[0]["o"] = 99 if isinstance(rows[0]["o"], int) else "Ganon's Tower"
            return text.replace(claims, json.dumps(rows))
        if entity.id == LOCAL_FIX:  # lower-case names in a ```json block: fixable without asking again
            claims = text.split("```claims\n")[1].split("\n```")[0]
            rows = [{**r, "s": str(r["s"]).lower(), "cite": ""} for r in json.loads(claims)]
            return text.replace(f"```claims\n{claims}", "```json\n" + json.dumps(rows))
        if entity.id == NO_BLOCK:
            return text.split("```claims")[0]
        return text
    brief = re.search(r"Design a (\w+) side quest .*?given by (.+?) at (.+?)\. The player", first, re.DOTALL)
    assert brief is not None, first
    kind, giver, home = brief.groups()
    g, h = KB.resolve(giver), KB.resolve(home)
    assert g is not None and h is not None
    s = slots(KB, g.id, h.id, 0)
    assert s is not None
    quest = fill(kind, KB, s)
    if kind == "talk":  # a softlock: the recluse's name is never learned
        quest.steps[1].grants = []
    return "A hook in two sentences.\n\n" + design_answer(quest)


def test_build_with_a_teacher_keeps_only_proven_prose(tmp_path: Path) -> None:
    corpus = load_routines([], required=False)
    try:
        with serve_references(_teacher) as server:
            opts = BuildOptions(
                generators=["prose"], workers=1, teacher=TeacherConfig(url=server.url, limit=6, concurrency=3)
            )
            report = run_build(corpus, tmp_path, opts)
            asked = sum(server._counts.values())
            again = run_build(corpus, tmp_path, opts)  # resumed: every answer comes from the cache
            asked_again = sum(server._counts.values())
    finally:
        configure(None)
    per = report["per_generator"]["prose"]
    assert per["kept"] == 12 - 3  # 6 lore + 6 quests; two lore answers and one softlocked quest rejected
    assert per["rejected"] == {"teacher-rejected": 3}
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    statuses = {
        r["meta"].get("entity"): r["meta"]["teacher"]["status"] for r in rows if r["task"] == "lore.prose"
    }
    assert statuses[REPAIRED_BY_TEACHER] == "repaired" and statuses[LOCAL_FIX] == "repaired"
    assert ALWAYS_WRONG not in statuses and NO_BLOCK not in statuses
    assert {r["task"] for r in rows} == {"lore.prose", "quest.prose"}
    assert verify_samples(rows).passed == len(rows)
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    reasons = " | ".join(r["detail"] for r in rejects)
    assert "contradicted" in reasons and "no ```claims block" in reasons and "completable" in reasons
    log = [
        json.loads(line)
        for line in (tmp_path / ".work" / "teacher" / "teacher_log.jsonl").read_text().splitlines()
    ]
    assert any(e["status"] == "sent-back" for e in log) and any(
        e["local_repair"] for e in log if "local_repair" in e
    )
    assert asked_again == asked and again["domain_units"]["prose"]["resumed"] == 12
    assert again["per_generator"]["prose"]["kept"] == per["kept"]


def test_cache_resumes_and_budget_stops(tmp_path: Path) -> None:
    calls: list[int] = []

    def echo(messages: list[dict[str, str]]) -> str:
        calls.append(1)
        return "word " * 100  # 100 completion tokens an answer (the server counts words)

    tasks = [
        TeacherTask(f"t{i}", [{"role": "user", "content": f"question {i}"}], lambda t: []) for i in range(6)
    ]
    with serve_references(echo) as server:
        cfg = TeacherConfig(url=server.url, budget_tokens=150, concurrency=2)
        first = Teacher(cfg, tmp_path).run(tasks)
        assert [r.status for r in first] == ["accepted"] * 2 + ["budget"] * 4
        assert len(calls) == 2
        resumed = Teacher(TeacherConfig(url=server.url, budget_tokens=10_000, concurrency=2), tmp_path).run(
            tasks
        )
        assert all(r.status == "accepted" for r in resumed) and len(calls) == 6
        assert resumed[0].cached and not resumed[5].cached


def test_unanswered_prompts_are_asked_again_on_the_next_run(tmp_path: Path) -> None:
    corpus = load_routines([], required=False)
    down = BuildOptions(
        generators=["prose"], workers=1, teacher=TeacherConfig(url="http://127.0.0.1:9/v1", limit=1)
    )
    try:
        report = run_build(corpus, tmp_path, down)
        assert report["domain_units"]["prose"]["units"] == 0
        log = (tmp_path / ".work" / "teacher" / "teacher_log.jsonl").read_text()
        assert '"status": "error"' in log and "connection failed" in log
        with serve_references(_teacher) as server:
            up = BuildOptions(generators=["prose"], workers=1, teacher=TeacherConfig(url=server.url, limit=1))
            again = run_build(corpus, tmp_path, up)
        assert again["domain_units"]["prose"]["units"] == 2 and again["per_generator"]["prose"]["kept"] >= 1
    finally:
        configure(None)
