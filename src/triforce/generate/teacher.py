"""A teacher for prose: any OpenAI-compatible endpoint writes prose and structured claims, and the
truth machines decide what is kept.

Every answer goes through the task's checker. A failing answer is first repaired locally (claims
spelled with the KB's names, duplicates dropped, a JSON block renamed to a claims block), then,
if rounds remain, sent back to the teacher with the checker's problems; what still fails is
rejected with its reasons. Answers are cached by prompt (a resumed build asks nothing twice), new
requests stop once the token budget is spent, and every attempt is logged (`teacher_log.jsonl`).

```python
teacher = Teacher(TeacherConfig(url="http://127.0.0.1:8000/v1", budget_tokens=50_000), cache_dir)
results = teacher.run([TeacherTask(id, messages, check, repair), ...])   # one TeacherResult each
```
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.errors import ConfigError
from triforce.models import Completion, ItemRequest, ask_many, make_backend

Check = Callable[[str], list[str]]  # answer -> problems (empty: proven)
Repair = Callable[[str], str]  # answer -> the same answer with mechanical mistakes fixed
MAX_ANSWER = 32 * 1024  # characters of an answer that are kept (answers are untrusted)


@dataclass(frozen=True)
class TeacherConfig:
    url: str  # an OpenAI-compatible endpoint (http://host:port/v1), or any `make_backend` spec
    model: str = "default"
    api_key: str | None = None
    budget_tokens: int = 200_000  # tokens of new requests (prompt + answer); cache hits are free
    concurrency: int = 4
    max_tokens: int = 800
    temperature: float = 0.7
    repair_rounds: int = 1  # times a failing answer goes back to the teacher with its problems
    timeout_s: float = 120.0
    limit: int | None = None  # at most this many tasks per generator


@dataclass(frozen=True)
class TeacherTask:
    id: str
    messages: list[dict[str, str]]
    check: Check
    repair: Repair | None = None


@dataclass
class TeacherResult:
    task: str
    status: str  # "accepted", "repaired", "rejected", "error", "budget"
    answer: str = ""
    problems: list[str] = field(default_factory=list)
    rounds: int = 0
    tokens: int = 0
    cached: bool = False


def prompt_key(config: TeacherConfig, messages: Sequence[dict[str, str]]) -> str:
    blob = json.dumps(
        {
            "model": config.model,
            "messages": list(messages),
            "t": config.temperature,
            "max": config.max_tokens,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class AnswerCache:
    """Answers by prompt key, in an append-only JSONL file (a cut last line is ignored)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.answers: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                    self.answers[str(row["key"])] = row
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue

    def get(self, key: str) -> dict[str, Any] | None:
        return self.answers.get(key)

    def put(self, key: str, text: str, tokens: int) -> None:
        row = {"key": key, "answer": text, "tokens": tokens}
        self.answers[key] = row
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _tokens(completion: Completion, messages: Sequence[dict[str, str]]) -> int:
    usage = completion.usage or {}
    if isinstance(usage.get("total_tokens"), int):
        return int(usage["total_tokens"])
    if isinstance(usage.get("completion_tokens"), int):
        return int(usage["completion_tokens"]) + sum(len(m["content"]) for m in messages) // 4
    return (len(completion.text) + sum(len(m["content"]) for m in messages)) // 4


class Teacher:
    def __init__(self, config: TeacherConfig, cache_dir: Path | None = None) -> None:
        if not config.url:
            raise ConfigError("the teacher needs an endpoint URL")
        self.config = config
        self.cache = AnswerCache(cache_dir / "answers.jsonl" if cache_dir else None)
        self.log_path = cache_dir / "teacher_log.jsonl" if cache_dir else None
        self.spent = 0

    def _log(self, row: dict[str, Any]) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def run(self, tasks: Sequence[TeacherTask]) -> list[TeacherResult]:
        """Ask, check, repair; one result per task, in order."""
        return asyncio.run(self._run(list(tasks)))

    async def _ask(
        self, batch: list[tuple[TeacherTask, list[dict[str, str]]]]
    ) -> list[tuple[str | None, int, bool, str]]:
        """(answer or None, tokens, cached, error) per request: the cache first, then the endpoint
        in waves of `concurrency` while the budget lasts."""
        out: list[tuple[str | None, int, bool, str] | None] = [None] * len(batch)
        todo: list[int] = []
        for i, (_, messages) in enumerate(batch):
            hit = self.cache.get(prompt_key(self.config, messages))
            if hit is not None:
                out[i] = (str(hit["answer"]), 0, True, "")
            else:
                todo.append(i)
        backend = make_backend(
            self.config.url,
            concurrency=self.config.concurrency,
            model=self.config.model,
            api_key=self.config.api_key,
            timeout_s=self.config.timeout_s,
            max_tokens=self.config.max_tokens,
            temperature=self.config.temperature,
        )
        try:
            wave = max(1, self.config.concurrency)
            for start in range(0, len(todo), wave):
                if self.spent >= self.config.budget_tokens:
                    for i in todo[start:]:
                        out[i] = (None, 0, False, "budget")
                    break
                chunk = todo[start : start + wave]
                requests = [
                    ItemRequest(item_id=batch[i][0].id, sample=0, messages=batch[i][1]) for i in chunk
                ]
                answers = await ask_many(backend, requests, concurrency=wave)
                for i, completion in zip(chunk, answers, strict=True):
                    if completion.error:
                        out[i] = (None, 0, False, completion.error)
                        continue
                    text = completion.text[:MAX_ANSWER]
                    used = _tokens(completion, batch[i][1])
                    self.spent += used
                    self.cache.put(prompt_key(self.config, batch[i][1]), text, used)
                    out[i] = (text, used, False, "")
        finally:
            await backend.aclose()
        return [x if x is not None else (None, 0, False, "not asked") for x in out]

    async def _run(self, tasks: list[TeacherTask]) -> list[TeacherResult]:
        results = [TeacherResult(t.id, "error") for t in tasks]
        conversations = {i: list(t.messages) for i, t in enumerate(tasks)}
        pending = list(range(len(tasks)))
        for round_no in range(self.config.repair_rounds + 1):
            if not pending:
                break
            answers = await self._ask([(tasks[i], conversations[i]) for i in pending])
            retry: list[int] = []
            for i, (text, used, cached, error) in zip(pending, answers, strict=True):
                task, res = tasks[i], results[i]
                res.rounds, res.tokens, res.cached = (
                    round_no + 1,
                    res.tokens + used,
                    cached and res.tokens == 0,
                )
                if text is None:
                    res.status = "budget" if error == "budget" else "error"
                    res.problems = [error]
                    self._log(
                        {"task": task.id, "round": round_no, "status": res.status, "problems": res.problems}
                    )
                    continue
                problems = task.check(text)
                fixed = text
                if problems and task.repair is not None:
                    fixed = task.repair(text)
                    if fixed != text:
                        problems = task.check(fixed)
                res.answer, res.problems = fixed, problems
                if not problems:
                    res.status = "accepted" if fixed == text and round_no == 0 else "repaired"
                elif round_no < self.config.repair_rounds:
                    res.status = "rejected"
                    retry.append(i)
                    conversations[i] = [
                        *conversations[i],
                        {"role": "assistant", "content": text},
                        {
                            "role": "user",
                            "content": "Your answer fails these checks:\n"
                            + "\n".join(f"- {p}" for p in problems[:8])
                            + "\nRewrite the whole answer so that every check passes.",
                        },
                    ]
                else:
                    res.status = "rejected"
                self._log(
                    {
                        "task": task.id,
                        "round": round_no,
                        "status": res.status if not (problems and i in retry) else "sent-back",
                        "problems": problems,
                        "cached": cached,
                        "local_repair": fixed != text,
                    }
                )
            pending = retry
        return results
