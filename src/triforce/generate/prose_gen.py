"""prose: samples a teacher model writes and the truth machines prove (lore.prose, quest.prose).

Enabled by `triforce build --teacher URL` (the build calls `configure`); without a teacher it
has no units, so the bundled build never needs a network. Planning the units asks the teacher
(cached, budgeted, repaired; see generate/teacher.py); each unit carries the teacher's final
answer, and `run` re-proves it: a lore answer's claims must all be supported and match its prose,
a quest must pass the quest model under the brief's rules. What fails is a reject whose reason
names the teacher's status and the checker's problems. A prompt the endpoint did not answer (an
error, the token budget) is no unit: the next run of the same build asks it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.generate.lore_text import CLAIMS_INSTRUCTION, explain, game_name, recheck_claims
from triforce.generate.quest_gen import brief, parse_quest
from triforce.generate.teacher import Teacher, TeacherConfig, TeacherTask
from triforce.lore import VANILLA, Claim, KnowledgeBase, say, vanilla
from triforce.lore.claimtext import blocks, extract_claims, render_claims
from triforce.lore.names import slug
from triforce.lore.schema import relations
from triforce.quest import QuestRules, check_quest
from triforce.quest.templates import fill, givers, include_kinds, slots, template_names
from triforce.sample import Provenance

_CONFIG: TeacherConfig | None = None
_CACHE: Path | None = None
LORE_KINDS = ("place", "dungeon", "item", "pendant", "crystal", "character", "boss")


def configure(config: TeacherConfig | None, cache_dir: Path | None = None) -> None:
    """Turn the teacher on for this process (the build does it for `--teacher`)."""
    global _CONFIG, _CACHE
    _CONFIG, _CACHE = config, cache_dir


def teacher_system(kb: KnowledgeBase) -> str:
    rels = ", ".join(name for name, r in relations().items() if r.say)
    return (
        "You are a Zelda: A Link to the Past lore expert who writes clearly for ROM hackers. State only facts "
        "you are sure of. After the prose, list every fact you stated in a ```claims block: a JSON list of "
        '{"s": subject, "r": relation, "o": object} using the game\'s names and these relations: '
        + rels
        + "."
    )


def lore_user(kb: KnowledgeBase, entity: str) -> str:
    return (
        f"{game_name(VANILLA)} lore. Explain {kb.name(entity)}'s place in the story.\n\n{CLAIMS_INSTRUCTION}"
    )


def repair_claims(kb: KnowledgeBase, text: str, scope: str = VANILLA) -> str:
    """Mechanical fixes: a ```json list of triples becomes the claims block, names take the KB's
    spelling, relations its identifiers, duplicates go."""
    if not any(lang == "claims" for lang, _ in blocks(text)):
        for lang, body in blocks(text):
            if lang == "json" and body.strip().startswith("["):
                text = text.replace(f"```json\n{body}", f"```claims\n{body}", 1)
                break
    claims, _ = extract_claims(text)
    if not claims:
        return text
    fixed: list[Claim] = []
    for c in claims:
        s = kb.resolve(c.subject, scope)
        o = kb.resolve(c.object, scope) if isinstance(c.object, str) else None
        claim = Claim(s.name if s else c.subject, slug(c.relation), o.name if o else c.object, c.cites)
        if claim not in fixed:
            fixed.append(claim)
    block = next(body for lang, body in blocks(text) if lang == "claims")
    return text.replace(f"```claims\n{block}```", render_claims(fixed), 1)


def _lore_tasks(kb: KnowledgeBase, limit: int | None) -> list[tuple[TeacherTask, dict[str, Any]]]:
    out = []
    for e in sorted((e for k in LORE_KINDS for e in kb.of_kind(k)), key=lambda e: e.id):
        made = explain(kb, e.id)
        if made is None:
            continue
        facts = [
            say(kb, r.subject, r.relation, r.object) + "." for i in made[1] if (r := kb.record(i)) is not None
        ]
        teacher_prompt = (
            f"Write three or four sentences about {e.name} for a player who knows the game a little. You may use "
            "these facts, and only facts of this kind:\n" + "\n".join(f"- {f}" for f in facts)
        )

        def check(text: str, entity: str = e.id) -> list[str]:
            return recheck_claims(kb, text, context=[entity], min_claims=2)

        task = TeacherTask(
            f"lore:{e.id}",
            [{"role": "system", "content": teacher_system(kb)}, {"role": "user", "content": teacher_prompt}],
            check,
            lambda text: repair_claims(kb, text),
        )
        out.append((task, {"kind": "lore", "entity": e.id, "user": lore_user(kb, e.id)}))
    return out[:limit] if limit else out


def quest_rules(quest_kind: str, tool: str, reward: str) -> QuestRules:
    return QuestRules(
        min_steps=5,
        max_steps=8,
        start_items=[tool],
        must_grant=[reward],
        must_include_kinds=include_kinds(quest_kind),
    )


def _quest_tasks(kb: KnowledgeBase, limit: int | None) -> list[tuple[TeacherTask, dict[str, Any]]]:
    out = []
    for giver, home in givers(kb, split="train"):  # every template for one giver, then the next
        for name in template_names():
            s = slots(kb, giver, home, 0)
            if s is None:
                continue
            template = fill(name, kb, s)
            user = brief(template, kb.name(home))
            rules = quest_rules(name, template.start_items[0], template.reward[0])

            def check(text: str, rules: QuestRules = rules) -> list[str]:
                quest, error = parse_quest(text)
                if quest is None:
                    return [error]
                return [f"{f.check}: {f.message}" for f in check_quest(quest, rules, kb).failures]

            task = TeacherTask(
                f"quest:{name}:{giver}",
                [
                    {"role": "system", "content": "You design side quests for A Link to the Past ROM hacks."},
                    {"role": "user", "content": user + "\nOpen with a two-sentence hook in prose."},
                ],
                check,
            )
            out.append((task, {"kind": "quest", "user": user, "rules": rules.model_dump(mode="json")}))
    return out[:limit] if limit else out


class ProseGenerator(DomainGenerator):
    name = "prose"
    tasks = ("lore.prose", "quest.prose")

    def use_teacher(self, config: TeacherConfig, cache_dir: Path) -> None:
        """Called by the build when `--teacher` is given."""
        configure(config, cache_dir)

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        if _CONFIG is None:
            return []
        kb = vanilla()
        planned = _lore_tasks(kb, _CONFIG.limit) + _quest_tasks(kb, _CONFIG.limit)
        results = Teacher(_CONFIG, _CACHE).run([t for t, _ in planned])
        units = []
        for (task, info), res in zip(planned, results, strict=True):
            if res.status in ("error", "budget"):
                continue  # not a unit: the next run asks again (teacher_log.jsonl says why)
            payload = {
                **info,
                "answer": res.answer,
                "status": res.status,
                "problems": res.problems,
                "rounds": res.rounds,
                "model": _CONFIG.model,
            }
            units.append(Unit(task.id, payload))
        return units

    def run(self, unit: Unit, seed: int) -> UnitResult:
        p = unit.payload
        out = UnitResult(candidates=1)
        problems = self._prove(p["kind"], p["answer"], p)
        if problems:
            out.reject("teacher-rejected", f"after {p['rounds']} round(s): " + "; ".join(problems)[:400])
            return out
        is_lore = p["kind"] == "lore"
        out.samples.append(
            make_domain_sample(
                self,
                task="lore.prose" if is_lore else "quest.prose",
                domain="nayru" if is_lore else "farore",
                source="zelda-lore" if is_lore else "quest-templates",
                user=p["user"],
                assistant=p["answer"],
                provenance=Provenance(corpus="triforce-teacher", origin="synthetic", file=None),
                verification=checked(
                    "kb-claims" if is_lore else "quest-model", {"teacher_status": p["status"]}
                ),
                meta={
                    "teacher": {"model": p["model"], "status": p["status"], "rounds": p["rounds"]},
                    **({"entity": p["entity"]} if is_lore else {"rules": p["rules"]}),
                },
                group=f"prose:{unit.key}",
            )
        )
        return out

    @staticmethod
    def _prove(kind: str, text: str, info: dict[str, Any]) -> list[str]:
        kb = vanilla()
        if kind == "lore":
            return recheck_claims(kb, text, context=[str(info.get("entity", ""))], min_claims=2)
        quest, error = parse_quest(text)
        if quest is None:
            return [error]
        rules = QuestRules.model_validate(info.get("rules", {}))
        return [f"{f.check}: {f.message}" for f in check_quest(quest, rules, kb).failures]

    def check(self, sample: dict[str, Any]) -> list[str]:
        meta = sample.get("meta", {})
        text = sample["messages"][-1]["content"]
        kind = "lore" if sample.get("task") == "lore.prose" else "quest"
        user = next((m["content"] for m in sample["messages"] if m["role"] == "user"), "")
        if kind == "quest":
            rules = QuestRules.model_validate(meta.get("rules", {}))
            missing = [x for x in (*rules.start_items, *rules.must_grant) if x not in user]
            if missing:
                return [f"the brief does not state {missing}"]
        return self._prove(kind, text, meta)
