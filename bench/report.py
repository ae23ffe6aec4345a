"""Collects the results of a run and writes them to bench/results/<profile>/:
results.json (raw samples + summaries), summary.md (the table) and PNG plots."""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")  # files only; the benchmark machine has no display
import matplotlib.ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from stats import ratio_summary, summary  # noqa: E402


@dataclass
class Row:
    case: str
    variant: str
    metric: str                 # e.g. "time", "throughput", "p99 latency"
    unit: str                   # "s", "GB/s", "rows/s", "ms", "MiB"
    samples: list = field(default_factory=list)
    baseline: Optional[str] = None   # variant this row is compared with; None = it is a baseline
    stats: Optional[dict] = None
    ratio: Optional[dict] = None     # candidate/baseline over sample pairs (same metric)
    skipped: Optional[str] = None    # why the case was not measured
    note: str = ""
    detail: bool = False             # a per-item row (e.g. one TPC-H query): own table and plot


class Results:
    def __init__(self, profile: str, meta: dict):
        self.profile = profile
        self.meta = meta
        self.rows = []

    def add(self, case, variant, metric, unit, samples, baseline=None, note="", detail=False):
        """Adds a measured row; a row with `baseline` set gets its ratio against the row of that
        variant (same case and metric), which must have been added before."""
        row = Row(case, variant, metric, unit, list(samples), baseline, summary(samples), note=note,
                  detail=detail)
        if baseline is not None:
            base = self.find(case, baseline, metric)
            row.ratio = ratio_summary(row.samples, base.samples)
        self.rows.append(row)
        return row

    def add_ratio(self, case, variant, metric, ratios, baseline, note=""):
        """A row whose samples are already ratios to `baseline` (e.g. a geometric mean of
        per-query ratios, one per round)."""
        row = Row(case, variant, metric, "×", list(ratios), baseline, summary(ratios), note=note)
        row.ratio = summary(ratios)
        self.rows.append(row)
        return row

    def skip(self, case, variant, reason):
        self.rows.append(Row(case, variant, "-", "-", skipped=reason))

    def ordered(self) -> list:
        """Rows by case number (cases run in another order), otherwise as added."""
        return sorted(self.rows, key=lambda row: _case_number(row.case))

    def find(self, case, variant, metric) -> Row:
        for row in self.rows:
            if (row.case, row.variant, row.metric) == (case, variant, metric):
                return row
        raise KeyError(f"no baseline row {case!r} / {variant!r} / {metric!r}")

    # ---- output ------------------------------------------------------------------------------

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.png"):
            old.unlink()  # plots of cases that no longer exist must not linger
        document = {"profile": self.profile, "meta": self.meta,
                    "rows": [asdict(row) for row in self.rows]}
        (directory / "results.json").write_text(json.dumps(document, indent=1) + "\n")
        plots = self._plot(directory)
        (directory / "summary.md").write_text(self.markdown(plots))

    def markdown(self, plots=()) -> str:
        lines = ["| Case | Variant | Metric | Median | Spread (p25–p75) | Ratio to baseline: median (p25–p75) |",
                 "|---|---|---|---|---|---|"]
        for row in self.ordered():
            if row.detail:
                continue
            if row.skipped:
                lines.append(f"| {row.case} | {row.variant} | – | – | – | skipped: {row.skipped} |")
                continue
            value, spread, ratio = _cells(row)
            variant = row.variant + (f" ({row.note})" if row.note else "")
            lines.append(f"| {row.case} | {variant} | {row.metric} | {value} | {spread} | {ratio} |")
        for case in dict.fromkeys(row.case for row in self.ordered() if row.detail):
            lines += ["", f"{case}, per item:", "",
                      "| Variant | Metric | Median | Spread (p25–p75) | Ratio to baseline: median (p25–p75) |",
                      "|---|---|---|---|---|"]
            for row in self.rows:
                if row.detail and row.case == case:
                    value, spread, ratio = _cells(row)
                    lines.append(f"| {row.variant} | {row.metric} | {value} | {spread} | {ratio} |")
        runs = sorted({r.stats["n"] for r in self.rows if r.stats})
        lines += ["", f"Profile `{self.profile}`; runs per figure: {', '.join(map(str, runs))} "
                  "(after warm-up). Ratios are of the metric shown (time: >1 is slower; "
                  "throughput: <1 is slower), over all pairs of runs.", ""]
        machine = self.meta.get("machine", {})
        if machine:
            load = "→".join(f"{self.meta[k][0]:.1f}" for k in
                            ("load_average_at_start", "load_average_at_end") if k in self.meta)
            lines.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, "
                         f"{machine['ram_gib']} GiB RAM; pyarrow {machine['pyarrow']}, duckdb "
                         f"{machine['duckdb']}; 1-minute load average {load} (start→end); "
                         f"run took {self.meta.get('wall_seconds', '?')} s.")
            lines.append("")
        lines += [f"* {note}" for note in self.meta.get("notes", [])]
        lines += [""] if self.meta.get("notes") else []
        lines += [f"![{name}]({name})" for name in plots]
        return "\n".join(lines) + "\n"

    def _plot(self, directory: Path) -> list:
        names = []
        cases = []
        for row in self.ordered():
            if row.stats and row.case not in cases:
                cases.append(row.case)
        for case in cases:
            name = f"case{_case_number(case)}-{_slug(case)}.png"
            self._plot_case(case, directory / name)
            names.append(name)
            if any(row.detail and row.ratio and row.case == case for row in self.rows):
                name = f"case{_case_number(case)}-{_slug(case)}-per-item.png"
                self._plot_ratios(directory / name, case=case)
                names.append(name)
        if any(row.ratio for row in self.rows):
            self._plot_ratios(directory / "ratios.png")
            names.insert(0, "ratios.png")
        return names

    def _plot_case(self, case: str, path: Path) -> None:
        """One panel per metric: median of each variant (horizontal bar, baselines grey) with
        p25-p75 whiskers."""
        rows = [row for row in self.rows if row.case == case and row.stats and not row.detail
                 and row.unit != "×"]
        metrics = list(dict.fromkeys(row.metric for row in rows))
        counts = [sum(row.metric == metric for row in rows) for metric in metrics]
        figure, axes = plt.subplots(len(metrics), 1, squeeze=False,
                                    figsize=(8, 0.9 + 0.3 * sum(counts) + 0.5 * len(metrics)),
                                    gridspec_kw={"height_ratios": counts})
        for axis, metric in zip(axes[:, 0], metrics):
            chosen = [row for row in rows if row.metric == metric]
            medians = [row.stats["median"] for row in chosen]
            errors = [[m - row.stats["p25"] for m, row in zip(medians, chosen)],
                      [row.stats["p75"] - m for m, row in zip(medians, chosen)]]
            colours = ["#999999" if row.baseline is None else "#1f77b4" for row in chosen]
            positions = list(range(len(chosen)))[::-1]
            axis.barh(positions, medians, xerr=errors, color=colours, capsize=3)
            axis.set_yticks(positions)
            axis.set_yticklabels([row.variant for row in chosen], fontsize=7)
            axis.set_title(f"{metric} ({chosen[0].unit})", fontsize=8)
            axis.tick_params(axis="x", labelsize=7)
        figure.suptitle(f"{case}: median, whiskers p25–p75; grey = baseline", fontsize=9)
        height = figure.get_size_inches()[1]
        figure.tight_layout(rect=(0, 0, 1, 1 - 0.3 / height))  # room for the title
        figure.savefig(path, dpi=80)
        plt.close(figure)

    def _plot_ratios(self, path: Path, case: Optional[str] = None) -> None:
        """All ratios of the run (detail rows left out), or the detail rows of one case."""
        if case is None:
            rows = [row for row in self.ordered() if row.ratio and not row.detail]
        else:
            rows = [row for row in self.rows if row.ratio and row.detail and row.case == case]
        figure, axis = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2))
        medians = [row.ratio["median"] for row in rows]
        errors = [[m - row.ratio["p25"] for m, row in zip(medians, rows)],
                  [row.ratio["p75"] - m for m, row in zip(medians, rows)]]
        positions = list(range(len(rows)))[::-1]
        # Bars grow from 1 (= as good as the baseline) towards the ratio, left or right.
        axis.barh(positions, [m - 1 for m in medians], left=1, xerr=errors, color="#1f77b4",
                  capsize=3)
        axis.axvline(1.0, color="black", linewidth=0.8)
        axis.set_xscale("log")
        # Plain numbers at powers of two read better than matplotlib's log labels.
        low = min(row.ratio["p25"] for row in rows)
        high = max(row.ratio["p75"] for row in rows)
        ticks = [2.0 ** k for k in range(-6, 7) if low / 2 <= 2.0 ** k <= high * 2]
        axis.set_xticks(ticks)
        axis.set_xticklabels([f"{t:g}" for t in ticks], fontsize=7)
        axis.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        axis.set_yticks(positions)
        axis.set_yticklabels([f"{row.case.split('.')[0]}. {row.variant} – {row.metric}"
                              for row in rows], fontsize=7)
        axis.set_xlabel("ratio to the baseline of the same case and metric (log scale)",
                        fontsize=8)
        axis.set_title(f"{case or 'Quiver vs baselines'}: ratio per item (median, p25–p75)"
                       if case else "Quiver vs baselines (median, p25–p75)", fontsize=9)
        figure.tight_layout()
        figure.savefig(path, dpi=80)
        plt.close(figure)


def _cells(row: Row) -> tuple:
    """Median, spread and ratio cells of a measured row."""
    s = row.stats
    value = _fmt(s["median"], row.unit)
    spread = f"{_fmt(s['p25'], row.unit)} – {_fmt(s['p75'], row.unit)}"
    if row.ratio is None:
        ratio = "**baseline**"
    else:
        r = row.ratio
        ratio = f"{r['median']:.2f}× ({r['p25']:.2f}–{r['p75']:.2f}) vs {row.baseline}"
    return value, spread, ratio


def _fmt(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "rows/s":
        return f"{value / 1e6:.2f} M rows/s"
    if unit == "µs":
        return f"{value:,.0f} µs"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms"
    if unit in ("GB/s", "MiB", "statements/s"):
        return f"{value:,.2f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def _case_number(case: str) -> int:
    head = case.split(".", 1)[0]
    return int(head) if head.isdigit() else 99


def _slug(text: str) -> str:
    words = "".join(c.lower() if c.isalnum() else " " for c in text.split(".", 1)[-1]).split()
    return "-".join(words)


def _wrap(label: str, width: int = 16) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])
