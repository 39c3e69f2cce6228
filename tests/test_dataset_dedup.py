from dataset_factory import ROUTINE, ROUTINE_RESTYLED, make, prose_sample
from triforce.dataset.dedup import DedupConfig, dedup
from triforce.dataset.normalize import code_key, normalize_asm


def _removed(report: object) -> dict[str, int]:
    return report.removed_by_layer()  # type: ignore[attr-defined]


def test_restyled_routine_normalizes_equal() -> None:
    assert normalize_asm(ROUTINE) == normalize_asm(ROUTINE_RESTYLED)


def test_operand_width_is_kept_apart() -> None:
    # asar sizes by digit count: $10 is direct page, $0010 absolute; #$10 one byte, #$0010 two
    assert normalize_asm("LDA $10\nRTS") != normalize_asm("LDA $0010\nRTS")
    assert normalize_asm("LDA #$10\nRTS") == normalize_asm("lda #16\nrts")
    assert normalize_asm("LDA #$0010\nRTS") != normalize_asm("LDA #$10\nRTS")


def test_anonymous_and_named_local_labels_are_equivalent() -> None:
    a = "Loop:\n- DEX\n  BNE -\n  BRA +\n  NOP\n+ RTS"
    b = "Loop:\n.again DEX\n  BNE .again\n  BRA .out\n  NOP\n.out: RTS"
    assert normalize_asm(a) == normalize_asm(b)
    # a branch to a different label is a different routine
    c = "Loop:\n- DEX\n  BNE -\n  BRA +\n+ NOP\n  RTS"
    assert normalize_asm(a) != normalize_asm(c)


def test_exact_duplicates_differing_in_case_and_spacing() -> None:
    a = make()
    b = make(prose="  WRITE a routine that adds 16 rupees to the rupee goal,   capped at 999. ")
    kept, report = dedup([a, b, prose_sample(1)])
    assert len(kept) == 2
    assert _removed(report)["exact"] == 1


def test_code_aware_duplicate_with_reworded_prose_keeps_verified_copy() -> None:
    unverified = make()
    verified = make(
        prose="Give Link 16 rupees but never more than 999.",
        code=ROUTINE_RESTYLED,
        answer_prose="Done.",
        passed=True,
        states=4,
    )
    kept, report = dedup([unverified, verified, prose_sample(2)], DedupConfig(near=False))
    assert verified in kept and unverified not in kept
    assert report.removals[0].layer == "code"
    assert report.removals[0].kept == verified.id


def test_more_states_tested_wins_a_tie() -> None:
    a = make(passed=True, states=2)
    b = make(prose="Add sixteen rupees (cap 999).", passed=True, states=9)
    kept, _ = dedup([a, b], DedupConfig(near=False))
    assert kept == [b]


def test_same_code_in_different_tasks_is_not_a_duplicate() -> None:
    a = make(task="asm.base")
    b = make(prose="Document this routine.", task="asm.doc", source="alttp-asm-doc")
    kept, report = dedup([a, b], DedupConfig(near=False))
    assert len(kept) == 2 and not report.removals


def test_identical_assembled_bytes() -> None:
    hexa = "c2 20 af 60 f3 7e 18 69 10 00 8f 60 f3 7e e2 20 6b"
    a = make(code="Other:\n  LDA.l $7EF360\n  RTL", meta={"assembled_hex": hexa}, passed=True)
    b = make(
        prose="Something else entirely", code="X:\n  NOP\n  NOP\n  RTL", meta={"assembled_hex": hexa.upper()}
    )
    kept, report = dedup([a, b], DedupConfig(near=False))
    assert kept == [a]
    assert _removed(report)["bytes"] == 1


def test_near_duplicate_one_word_changed() -> None:
    base = " ".join(f"word{i}" for i in range(200))
    a = make(prose=base, code=None)
    b = make(prose=base.replace("word100", "changed"), code=None)
    c = prose_sample(3)
    kept, report = dedup([a, b, c])
    assert len(kept) == 2
    assert report.removals[0].layer == "near"
    assert report.removals[0].similarity >= 0.85


def test_near_threshold_is_configurable() -> None:
    base = [f"word{i}" for i in range(100)]
    other = [f"new{i}" if i in (20, 50, 80) else w for i, w in enumerate(base)]  # Jaccard about 0.83
    a = make(prose=" ".join(base), code=None)
    b = make(prose=" ".join(other), code=None)
    assert len(dedup([a, b], DedupConfig(near_threshold=0.95))[0]) == 2
    assert len(dedup([a, b], DedupConfig(near_threshold=0.6))[0]) == 1


def test_distinct_samples_survive_all_layers() -> None:
    samples = [prose_sample(i) for i in range(40)]
    kept, report = dedup(samples)
    assert len(kept) == 40 and not report.removals


def test_prose_only_samples_have_no_code_key() -> None:
    assert code_key(prose_sample(1)) is None


def test_progress_reaches_the_end_of_every_layer() -> None:
    seen: dict[str, tuple[int, int]] = {}
    dedup(
        [prose_sample(i) for i in range(5)],
        progress=lambda stage, done, total: seen.__setitem__(stage, (done, total)),
    )
    assert seen == {f"dedup {layer}": (5, 5) for layer in ("exact", "code", "bytes", "near")}
