"""triforce.lore: a sourced canon knowledge base and a claim checker (floor 1: a truth machine).

```python
from triforce.lore import vanilla, Claim, check_claims, validate
kb = vanilla()
[r] = check_claims(kb, [Claim("Eastern Palace", "boss", "Moldorm")])
r.status, r.reason, r.record   # "contradicted", "... is Armos Knights, not Moldorm ...", the record
validate(kb)                   # [] : the bundled KB is consistent
```
"""

from triforce.lore.claims import ClaimChecker, check_claims, say
from triforce.lore.kb import VANILLA, KnowledgeBase, load_kb_file, load_vanilla, vanilla
from triforce.lore.model import OPEN, TIERS, Claim, ClaimResult, Entity, Problem, Record, Tier
from triforce.lore.names import normalise, slug
from triforce.lore.validate import validate

__all__ = [
    "OPEN",
    "TIERS",
    "VANILLA",
    "Claim",
    "ClaimChecker",
    "ClaimResult",
    "Entity",
    "KnowledgeBase",
    "Problem",
    "Record",
    "Tier",
    "check_claims",
    "load_kb_file",
    "load_vanilla",
    "normalise",
    "say",
    "slug",
    "validate",
    "vanilla",
]
