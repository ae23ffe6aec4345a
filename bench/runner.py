"""Runs the variants of a case round by round, so that a change in machine load (this machine is
shared) hits every variant alike instead of whichever happened to run last."""
import time
from dataclasses import dataclass
from typing import Callable, Optional

from stats import timed


@dataclass
class Variant:
    name: str
    # Timed. May return extra per-run samples, e.g. {"getflightinfo_s": 0.4, "p99_ms": 2.0}.
    run: Callable[[], Optional[dict]]
    setup: Optional[Callable[[], None]] = None     # untimed, before every run
    teardown: Optional[Callable[[], None]] = None  # untimed, after every run


def _once(variant: Variant) -> dict:
    if variant.setup:
        variant.setup()
    extras = {}
    seconds = timed(lambda: extras.update(variant.run() or {}))
    if variant.teardown:
        variant.teardown()
    return {"seconds": seconds, **extras}


def interleaved(variants: list, warmup: int, runs: int, budget_s: float) -> dict:
    """{variant name: {sample name: [one value per measured run]}}.

    `warmup` unmeasured rounds, then up to `runs` measured rounds; no new round starts once
    `budget_s` has gone (but at least one is measured), so every case is bounded in time."""
    for _ in range(warmup):
        for variant in variants:
            _once(variant)
    samples = {variant.name: {} for variant in variants}
    deadline = time.monotonic() + budget_s
    for round_index in range(runs):
        if round_index > 0 and time.monotonic() >= deadline:
            break
        for variant in variants:
            for key, value in _once(variant).items():
                samples[variant.name].setdefault(key, []).append(value)
    return samples
