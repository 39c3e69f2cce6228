"""Iterative refinement (plan Phase 3): expert seed pairs, a pilot, verified candidates, review.

```python
from triforce.refine import ReviewQueue, bundled_seeds, init_state, step, StepOptions, status
```
"""

from triforce.refine.bundled import bundled_seeds, load_seed_file
from triforce.refine.loop import State, StepOptions, init_state, read_prompts, status, step
from triforce.refine.pairs import prove, validate_seed, verify_pair
from triforce.refine.queue import ReviewQueue

__all__ = [
    "ReviewQueue",
    "State",
    "StepOptions",
    "bundled_seeds",
    "init_state",
    "load_seed_file",
    "prove",
    "read_prompts",
    "status",
    "step",
    "validate_seed",
    "verify_pair",
]
