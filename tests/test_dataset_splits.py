import pytest

from dataset_factory import make, prose_sample
from triforce.dataset.splits import SplitConfig, check_leaks, split
from triforce.errors import ConfigError


def _corpus() -> list:
    samples = []
    # 40 routines with 3 variants each (same group), over two tasks
    for r in range(40):
        task = "asm.base" if r % 2 else "asm.debug"
        for v in range(3):
            samples.append(make(prose=f"Routine {r} variant {v}", task=task, routine=f"R{r}"))
    samples += [prose_sample(i) for i in range(60)]
    return samples


def test_groups_never_cross_splits_and_no_leaks() -> None:
    cfg = SplitConfig(min_sizes={"validation": 10, "test": 10}, seed=3)
    parts, report = split(_corpus(), cfg)
    assert check_leaks(parts) == []
    where: dict[str, set[str]] = {}
    for name, samples in parts.items():
        for s in samples:
            where.setdefault(s.group, set()).add(name)
    assert all(len(v) == 1 for v in where.values())
    assert sum(report.sizes.values()) == 180
    assert report.sizes["validation"] >= 10 and report.sizes["test"] >= 10


def test_every_stratum_reaches_the_evaluation_splits() -> None:
    _parts, report = split(_corpus(), SplitConfig(fractions={"train": 0.8, "validation": 0.1, "test": 0.1}))
    for stratum in ("din/asm.base", "din/asm.debug", "nayru/lore.canon"):
        assert report.strata[stratum]["validation"] > 0
        assert report.strata[stratum]["test"] > 0


def test_split_is_deterministic() -> None:
    a, _ = split(_corpus(), SplitConfig(seed=5))
    b, _ = split(_corpus(), SplitConfig(seed=5))
    assert {k: [s.id for s in v] for k, v in a.items()} == {k: [s.id for s in v] for k, v in b.items()}


def test_leak_check_finds_a_planted_leak() -> None:
    parts, _ = split(_corpus(), SplitConfig(min_sizes={}))
    stray = parts["train"][0]
    parts["test"].append(stray)
    leaks = check_leaks(parts)
    assert {leak.kind for leak in leaks} == {"group", "id", "text"}
    assert all(leak.splits == ("test", "train") for leak in leaks)


def test_minimum_sizes_are_met_or_reported() -> None:
    samples = [prose_sample(i) for i in range(12)]
    _, report = split(samples, SplitConfig(min_sizes={"validation": 3, "test": 3}))
    assert report.sizes["validation"] >= 3 and report.sizes["test"] >= 3
    _, report = split(samples[:3], SplitConfig(min_sizes={"validation": 5}))
    assert "below its minimum 5" in report.warnings[0]
    with pytest.raises(ConfigError):
        split(samples[:3], SplitConfig(min_sizes={"validation": 5}, strict=True))


def test_upsampled_copies_stay_out_of_evaluation_splits() -> None:
    samples = [prose_sample(i) for i in range(30)]
    copies = [s.model_copy(update={"meta": {"upsample_copy": 1}}) for s in samples]
    parts, report = split(samples + copies, SplitConfig(min_sizes={}))
    assert all(not s.meta.get("upsample_copy") for name in ("validation", "test") for s in parts[name])
    assert report.dropped_copies == len(parts["validation"]) + len(parts["test"])


def test_fractions_must_add_up() -> None:
    with pytest.raises(ValueError):
        SplitConfig(fractions={"train": 0.5, "test": 0.1})
