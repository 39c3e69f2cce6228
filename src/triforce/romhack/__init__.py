"""triforce.romhack: quest -> implementation in the ROM, proven (floor 1: a truth machine).

```python
from triforce.romhack import CrossSpec, prove
spec = CrossSpec.model_validate(spec_json)   # quest, trigger, done flag, rewards, messages, hook, free space, room
proof = prove(spec, patch_asm, messages={0x123: "[W:02]Hello"}, quest=quest_outline)
proof.passed; [f"{c.name}: {c.message}" for c in proof.failures]
```
`templates` holds our own parameterised quest implementations (spec + reference patch +
messages + design) that the suite, the generator and the seeds are built from.
"""

from triforce.romhack.prove import Check, Proof, Scenario, prove, scenarios
from triforce.romhack.spec import (
    MESSAGE_ROUTINES,
    RECEIVE_ITEM,
    Condition,
    CrossSpec,
    FlagBit,
    FreeSpace,
    Hook,
    MessageCall,
    Reward,
    Room,
)

__all__ = [
    "MESSAGE_ROUTINES",
    "RECEIVE_ITEM",
    "Check",
    "Condition",
    "CrossSpec",
    "FlagBit",
    "FreeSpace",
    "Hook",
    "MessageCall",
    "Proof",
    "Reward",
    "Room",
    "Scenario",
    "prove",
    "scenarios",
]
