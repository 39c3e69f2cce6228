"""The two domain generators: `gfx` (rows graphics-tiles) and `compress` (row compression).

Units come from the synthetic counts in `catalogs/graphics.yaml` (the bundled defaults: tiles,
colours, entries and data made from the seed) and, with `--source`, from real graphics files in
the trees (`material.find_real`): their tiles for the tile tasks, chunks of their data for the
compression tasks. Every sample is re-checked by `check` (from its own text) before it is
returned; the ASM tasks are proven by asar and the 65816 core instead (`asm_tasks.prove`).
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from triforce.compress.format import Variant
from triforce.errors import TriforceError
from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.gfx.tiles import TILE_BYTES
from triforce.sample import Provenance, Sample

from . import asm_tasks, gfx_tasks, lz_tasks
from .common import Made, catalogue, messages, system
from .material import find_real, real_tiles, synthetic_data, synthetic_tile

SYNTHETIC = "triforce-synthetic-gfx"
ASM_BATCH = 40  # samples per unit of an ASM task: one asar process proves them all


def _rng(seed: int, key: str) -> random.Random:
    return random.Random(f"{seed}:{key}")


def _counts(kind: str) -> dict[str, Any]:
    return dict(catalogue()["synthetic"][kind])


def _real_limits() -> dict[str, int]:
    return {k: int(v) for k, v in catalogue()["real"].items()}


def _guard(fn: Callable[[str, str], list[str]], user: str, answer: str) -> list[str]:
    """A check's problems; a request or answer it cannot read is a problem, not a crash."""
    try:
        return fn(user, answer)
    except (ValueError, KeyError, IndexError, TriforceError) as exc:
        return [f"cannot check: {exc}"]


class _Base(DomainGenerator):
    row: ClassVar[str]
    kind: ClassVar[str]  # system prompt key

    def _sample(self, made: Made, unit: Unit, prov: Provenance, group: str, extra: dict[str, Any]) -> Sample:
        method = made.method if made.method != "codec" else f"{self.name}-codec"
        return make_domain_sample(
            self,
            task=made.task,
            domain="din",
            source=self.row,
            user=made.user,
            assistant=made.assistant,
            provenance=prov,
            verification=checked(method, {"unit": unit.key}, states=made.states),
            meta={**made.meta, **extra},
            system=system(self.kind),
            group=group,
        )

    def _keep(self, out: UnitResult, made: Made, unit: Unit, prov: Provenance, group: str) -> None:
        """Check the sample from its own text before it is kept (a generator bug is a reject)."""
        out.candidates += 1
        problems = self._check_text(made.task, made.user, made.assistant)
        if problems:
            out.reject("check-failed", f"{made.task}: {problems[0]}"[:300])
            return
        out.samples.append(self._sample(made, unit, prov, group, {}))

    @abstractmethod
    def _check_text(self, task: str, user: str, answer: str) -> list[str]:
        """The problems with one sample's text (each subclass asks its own task checkers)."""

    def check(self, sample: dict[str, Any]) -> list[str]:
        user, answer = messages(sample)
        task = str(sample.get("task", ""))
        if task not in self.tasks:
            return [f"task {task!r} is not one of {self.name}'s"]
        return self._check_text(task, user, answer)


def _provenance(payload: dict[str, Any]) -> tuple[Provenance, str, str]:
    """(provenance, group, the request's note on where the material comes from)."""
    if payload.get("file"):
        prov = Provenance(corpus=payload["tree"], origin=payload["origin"], file=payload["file"])
        return (
            prov,
            f"{payload['tree']}:{payload['file']}",
            f" (from `{payload['file']}` in {payload['tree']})",
        )
    return Provenance(corpus=SYNTHETIC, origin="synthetic"), "", ""


class GraphicsGenerator(_Base):
    name = "gfx"
    row = "graphics-tiles"
    kind = "gfx"
    tasks = (
        "gfx.tile_encode",
        "gfx.tile_decode",
        "gfx.expand_3bpp",
        "gfx.palette_convert",
        "gfx.cgram",
        "gfx.tilemap",
        "gfx.oam",
        "gfx.asm_palette",
        "gfx.asm_oam",
    )

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        counts = _counts("gfx")
        units: list[Unit] = []
        real = find_real([s.path for s in sources]) if sources else []
        origins = {str(s.path): s.origin for s in sources}
        per_file = _real_limits()["tiles_per_file"]
        for f in real:
            tiles = real_tiles(f)
            step = max(1, len(tiles) // per_file)
            for index, _ in tiles[::step][:per_file]:
                size = TILE_BYTES[f.bpp]
                payload = {
                    "tree": f.tree,
                    "file": f.path,
                    "origin": origins.get(f.root, "original"),
                    "bpp": f.bpp,
                    "tile": index,
                    "data": f.data[index * size : (index + 1) * size],
                }
                units.append(Unit(f"real:{f.tree}/{f.path}:{index}", payload))
        if not units:  # no graphics in the sources (or none given): synthetic tiles
            for task in ("tile_encode", "tile_decode"):
                for bpp, n in counts[task].items():
                    units += [
                        Unit(f"syn:{task}:{bpp}:{i:04d}", {"task": task, "bpp": int(bpp)}) for i in range(n)
                    ]
            units += [
                Unit(f"syn:expand_3bpp:{i:04d}", {"task": "expand_3bpp"})
                for i in range(counts["expand_3bpp"])
            ]
        for task in (
            "rgb_to_bgr",
            "bgr_to_rgb",
            "cgram",
            "tilemap_compose",
            "tilemap_explain",
            "oam_compose",
            "oam_explain",
        ):
            units += [Unit(f"syn:{task}:{i:04d}", {"task": task}) for i in range(counts[task])]
        for task in ("asm_palette", "asm_oam"):
            batches = -(-int(counts[task]) // ASM_BATCH)
            units += [Unit(f"syn:{task}:{i:04d}", {"task": task}) for i in range(batches)]
        return units

    def run(self, unit: Unit, seed: int) -> UnitResult:
        rng = _rng(seed, unit.key)
        payload: dict[str, Any] = unit.payload
        prov, group, origin = _provenance(payload)
        group = group or f"{SYNTHETIC}:{unit.key}"
        out = UnitResult()
        if payload.get("file"):  # a real tile: decode or encode it, expand it when it is 3bpp
            bpp, data = payload["bpp"], payload["data"]
            tile = gfx_tasks.decode_tile(data, bpp)
            note = f" (tile {payload['tile']} of `{payload['file']}` in {payload['tree']})"
            make = gfx_tasks.make_tile_decode if rng.random() < 0.5 else gfx_tasks.make_tile_encode
            self._keep(out, make(rng, tile, bpp, note), unit, prov, group)
            if bpp == 3:
                self._keep(out, gfx_tasks.make_expand(rng, data, note), unit, prov, group)
            return out
        task = payload["task"]
        if task in ("asm_palette", "asm_oam"):
            return self._run_asm(unit, rng, task, prov, group)
        if task in ("tile_encode", "tile_decode"):
            bpp = payload["bpp"]
            maker = gfx_tasks.make_tile_encode if task == "tile_encode" else gfx_tasks.make_tile_decode
            made = maker(rng, synthetic_tile(rng, bpp), bpp, origin)
        elif task == "expand_3bpp":
            made = gfx_tasks.make_expand(rng, _tile_with_plane2(rng), origin)
        elif task == "rgb_to_bgr":
            colours = [
                (rng.randrange(256), rng.randrange(256), rng.randrange(256))
                for _ in range(rng.randrange(1, 9))
            ]
            made = gfx_tasks.make_rgb_to_bgr(rng, colours)
        elif task == "bgr_to_rgb":
            made = gfx_tasks.make_bgr_to_rgb(rng, [rng.randrange(0x8000) for _ in range(rng.randrange(1, 9))])
        else:
            made = {
                "cgram": gfx_tasks.make_cgram,
                "tilemap_compose": gfx_tasks.make_tilemap_compose,
                "tilemap_explain": gfx_tasks.make_tilemap_explain,
                "oam_compose": gfx_tasks.make_oam_compose,
                "oam_explain": gfx_tasks.make_oam_explain,
            }[task](rng)
        self._keep(out, made, unit, prov, group)
        return out

    def _run_asm(self, unit: Unit, rng: random.Random, task: str, prov: Provenance, group: str) -> UnitResult:
        make = asm_tasks.make_palette if task == "asm_palette" else asm_tasks.make_oam
        built = [make(rng) for _ in range(ASM_BATCH)]
        proofs = asm_tasks.prove_many([(code, _entry(code), exp) for _, code, exp in built])
        out = UnitResult(candidates=len(built))
        for (made, _, _), (problems, hexed) in zip(built, proofs, strict=True):
            if problems:
                out.reject("not-proven", f"{made.task}: {problems[0]}"[:300])
                continue
            out.samples.append(self._sample(made, unit, prov, f"{group}", {"assembled_hex": hexed}))
        return out

    def _check_text(self, task: str, user: str, answer: str) -> list[str]:
        if task in ("gfx.asm_palette", "gfx.asm_oam"):
            return _guard(lambda u, a: asm_tasks.check_asm(task, u, a), user, answer)
        return _guard(gfx_tasks.CHECKS[task], user, answer)


def _tile_with_plane2(rng: random.Random) -> bytes:
    """A 3bpp tile whose plane 2 is set on at least three rows (colours 4-7 in use), so the
    expansion has something to show."""
    while True:
        data = gfx_tasks.encode_tile(synthetic_tile(rng, 3), 3)
        if sum(1 for b in data[16:] if b) >= 3:
            return data


def _entry(code: str) -> str:
    return code.split(":", 1)[0].strip()


class CompressionGenerator(_Base):
    name = "compress"
    row = "compression"
    kind = "compress"
    tasks = (
        "compress.decompress",
        "compress.compress",
        "compress.explain",
        "compress.corrupt",
        "compress.header",
    )

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        counts = _counts("compress")
        units: list[Unit] = []
        real = find_real([s.path for s in sources]) if sources else []
        origins = {str(s.path): s.origin for s in sources}
        chunks = _real_limits()["chunks_per_file"]
        tasks = ("compress", "decompress", "explain", "corrupt")
        for f in real:
            if len(f.data) < 32:
                continue
            rng = _rng(seed, f"{f.tree}/{f.path}")
            for k in range(chunks):
                size = rng.randrange(32, 161)
                at = rng.randrange(0, max(1, len(f.data) - size))
                payload = {
                    "tree": f.tree,
                    "file": f.path,
                    "origin": origins.get(f.root, "original"),
                    "task": tasks[k % len(tasks)],
                    "data": f.data[at : at + size],
                    "at": at,
                }
                units.append(Unit(f"real:{f.tree}/{f.path}:{at}:{k}", payload))
        for task, n in counts.items():
            units += [Unit(f"syn:{task}:{i:04d}", {"task": task}) for i in range(int(n))]
        return units

    def run(self, unit: Unit, seed: int) -> UnitResult:
        rng = _rng(seed, unit.key)
        payload: dict[str, Any] = unit.payload
        prov, group, origin = _provenance(payload)
        group = group or f"{SYNTHETIC}:{unit.key}"
        if payload.get("file"):
            origin = f" (bytes {payload['at']}-{payload['at'] + len(payload['data']) - 1} of `{payload['file']}` in {payload['tree']})"
        task = payload["task"]
        variant: Variant = rng.choice(("gfx", "gfx", "bank02"))
        out = UnitResult()
        if task == "header":
            self._keep(out, lz_tasks.make_header(rng), unit, prov, group)
            return out
        data = payload.get("data") or synthetic_data(rng, rng.randrange(12, 161))
        if task == "compress":
            made = lz_tasks.make_compress(rng, data, variant, origin)
        else:
            real = bool(payload.get("file"))
            stream = (
                lz_tasks.optimal(data, variant) if real else lz_tasks.synthetic_stream(rng, variant, data)
            )
            maker = {
                "decompress": lz_tasks.make_decompress,
                "explain": lz_tasks.make_explain,
                "corrupt": lz_tasks.make_corrupt,
            }[task]
            made = maker(rng, stream, variant, origin)
        self._keep(out, made, unit, prov, group)
        return out

    def _check_text(self, task: str, user: str, answer: str) -> list[str]:
        return _guard(lz_tasks.CHECKS[task], user, answer)
