"""Evaluation: suites as data, graders that execute answers, backends, metrics, A/B and reports.

```python
from triforce.evaluate import load_suite, make_backend, run_suite
suite = load_suite("asm")
result = asyncio.run(run_suite(suite, make_backend("reference"), Path("runs/ref")))
```
"""

from triforce.evaluate.compare import compare_runs, mcnemar_exact
from triforce.evaluate.graders import GradeContext, grade
from triforce.evaluate.metrics import pass_at_k, summarize
from triforce.evaluate.runner import run_suite
from triforce.evaluate.suite import Suite, SuiteItem, bundled_suites, load_suite
from triforce.evaluate.verdict import Verdict
from triforce.models import make_backend

__all__ = [
    "GradeContext",
    "Suite",
    "SuiteItem",
    "Verdict",
    "bundled_suites",
    "compare_runs",
    "grade",
    "load_suite",
    "make_backend",
    "mcnemar_exact",
    "pass_at_k",
    "run_suite",
    "summarize",
]
