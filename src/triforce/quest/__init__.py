"""triforce.quest: the quest model and the checks a designer applies (floor 1: a truth machine).

```python
from triforce.quest import Quest, QuestRules, check_quest, pacing
quest = Quest.model_validate(json_data)
report = check_quest(quest, QuestRules(must_grant=["lens"]))   # KB: the bundled vanilla one
report.passed, [f.message for f in report.failures]
pacing(quest).to_json()     # beats, gating depth, travel and backtracking over the map graph
```
"""

from triforce.quest.checks import Finding, QuestReport, QuestRules, check_quest, granted
from triforce.quest.model import CONFLICT, PAYOFF, QUEST_KINDS, SETUP, STEP_KINDS, Flag, Quest, Step
from triforce.quest.pacing import Pacing, gating_depth, pacing

__all__ = [
    "CONFLICT",
    "PAYOFF",
    "QUEST_KINDS",
    "SETUP",
    "STEP_KINDS",
    "Finding",
    "Flag",
    "Pacing",
    "Quest",
    "QuestReport",
    "QuestRules",
    "Step",
    "check_quest",
    "gating_depth",
    "granted",
    "pacing",
]
