"""Timing and the summary statistics every result is reported with."""
import statistics
import time


def timed(fn) -> float:
    """Wall-clock seconds of one call of fn()."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def quantile(values, q: float) -> float:
    """Linear-interpolated quantile (q in [0, 1]) of a non-empty sequence."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values) -> dict:
    return {"n": len(values), "median": statistics.median(values),
            "p25": quantile(values, 0.25), "p75": quantile(values, 0.75),
            "min": min(values), "max": max(values)}


def ratio_summary(candidate, baseline) -> dict:
    """Ratio candidate/baseline over every (candidate, baseline) pair of samples: runs are not
    paired, so all pairs are used; the median and p25-p75 of those ratios are the ratio and its
    spread."""
    ratios = [c / b for c in candidate for b in baseline if b]
    return summary(ratios) if ratios else None
