"""Source of the bundled evaluation suites (compiled to JSONL by tools/build_eval_suites.py)."""
