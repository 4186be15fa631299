"""One verdict per configuration (docs/design.md, "Verdicts"): what the matrix plans for each
configuration, and the one judgement that every table and verdicts.md print for it.

    planned = plan(entries)                  # config key -> Planned (tables, labels, Original)
    sizes = family_sizes(planned)            # family -> m, the Bonferroni denominator
    judgement.verdict, judgement.adjusted_verdict, judgement.notes()

A configuration is one config key (bench.experiment.spec.config_key): a row listed in several
tables is one configuration, trained once, paired once with its Original and judged once. Its
family, the m of its Bonferroni adjustment, is fixed by the matrix alone: every configuration
the profile's tables list for the same model, data set and Original, run yet or not, except
Original and the `+Null` noise floor. So no verdict moves because another row arrived, and a
configuration has one family wherever it is printed. Pure: plain data in, dataclasses out; the
measuring is bench.report.views' (`judge_configurations`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.experiment.labels import NULL_LABEL, REFERENCE_LABEL
from bench.report import stats


@dataclass(frozen=True)
class Planned:
    """A configuration as the matrix lists it."""
    key: str                    # its config key
    model: str
    dataset: str
    labels: tuple               # the labels it is listed under, first listing first
    tables: tuple               # the tables that list it, matrix order
    reference: str | None       # the config key of its Original (its first listing block's)

    @property
    def label(self) -> str:
        return self.labels[0]

    @property
    def null(self) -> bool:
        """The noise floor (docs/design.md): it tests nothing, so it is in no family."""
        return NULL_LABEL in self.labels

    @property
    def family(self) -> tuple:
        return (self.model, self.dataset, self.reference)


def plan(entries) -> dict[str, Planned]:
    """config key -> Planned for every configuration other than Original that `entries` (the
    matrix's, any seeds) list, in order of first listing."""
    originals = {}
    for e in entries:
        if e.label == REFERENCE_LABEL:
            originals.setdefault((e.table, e.model, e.dataset), e.config_key)
    listed: dict[str, dict] = {}
    for e in entries:
        if e.label == REFERENCE_LABEL:
            continue
        item = listed.setdefault(e.config_key, {
            "model": e.model, "dataset": e.dataset, "labels": [], "tables": [],
            "reference": originals.get((e.table, e.model, e.dataset))})
        for name, value in (("labels", e.label), ("tables", e.table)):
            if value not in item[name]:
                item[name].append(value)
    return {key: Planned(key, i["model"], i["dataset"], tuple(i["labels"]), tuple(i["tables"]),
                         i["reference"]) for key, i in listed.items()}


def family_sizes(planned: dict) -> dict[tuple, int]:
    """family -> m: its planned configurations other than +Null (module docstring)."""
    return dict(Counter(p.family for p in planned.values() if not p.null))


def seed_text(seeds) -> str:
    """"0-3", "4-5", "0, 2, 5": a sorted run of seeds, consecutive ones as a range."""
    seeds = sorted(seeds)
    parts, start = [], None
    for i, seed in enumerate(seeds):
        if start is None:
            start = seed
        if i + 1 == len(seeds) or seeds[i + 1] != seed + 1:
            parts.append(str(start) if start == seed else f"{start}-{seed}")
            start = None
    return ", ".join(parts)


@dataclass(frozen=True)
class Judgement:
    """The one judgement of a configuration: its pairs with its Original on the verdict metric,
    its raw 95% interval and verdict, its family's Bonferroni interval and adjusted verdict, and
    what its records say about its seeds."""
    planned: Planned
    metric: str                 # the verdict metric: its home table's
    home: object                # the table whose printed gain is g (the first that prints it); None
    printed: tuple              # ((table, printed gain on metric), ...), every table that prints it
    gain: stats.PairedGain      # paired with the Original on metric, published = g
    verdict: str
    m: int | None               # its family's size; None for +Null (adjusted = raw)
    adjusted: stats.PairedGain | None     # None where the verdict is not read off an interval
    adjusted_verdict: str
    measured: object = None     # bench.report.views.Measured of the configuration (its ok records)
    seeds: dict = field(default_factory=dict)            # seed -> its record's status
    reference_seeds: dict = field(default_factory=dict)  # seed -> the Original record's status
    reference_values: dict = field(default_factory=dict)  # seed -> the Original's value on metric
    planned_seeds: int | None = None                     # the seeds the profile plans for it
    retries: dict = field(default_factory=dict)  # seed -> statuses of its records, where several
    reference_planned: int | None = None         # the seeds planned for its Original (its rows' most)

    @property
    def key(self) -> str:
        return self.planned.key

    @property
    def published(self) -> float | None:
        return self.gain.published

    @property
    def level(self) -> float | None:
        """The confidence of the adjusted interval: 1 - 0.05/m."""
        return None if self.m is None else stats.family_confidence(self.m)

    def printed_in(self, table) -> float | None:
        return dict(self.printed).get(table)

    def judged_elsewhere(self, table) -> bool:
        """True where `table` does not print g itself: it prints another gain, or none while
        another table does (the verdict is against the home table's g)."""
        if self.home is None or self.home == table:
            return False
        here = self.printed_in(table)
        return here is None or abs(here - self.published) > 1e-9

    @property
    def differing_prints(self) -> bool:
        """The paper prints this configuration with different gains in different tables."""
        return len({round(g, 9) for _, g in self.printed}) > 1

    @property
    def extended(self) -> tuple:
        """Seeds beyond the profile's planned ones (0..N-1): added after a look."""
        if self.planned_seeds is None:
            return ()
        return tuple(s for s in sorted(self.seeds) if not 0 <= s < self.planned_seeds)

    @property
    def short_of_plan(self) -> int | None:
        """The seeds planned for it where fewer of its seeds are recorded (runs still to come): its
        verdict is interim. None where the plan is met or unknown."""
        if self.planned_seeds is None or not self.seeds or len(self.seeds) >= self.planned_seeds:
            return None
        return self.planned_seeds

    @property
    def failed(self) -> tuple:
        """The row's own seeds that failed or gave a non-finite value on the metric."""
        values = self.measured.values.get(self.metric, {}) if self.measured is not None else {}
        return tuple(s for s, status in sorted(self.seeds.items())
                     if status != "ok" or not stats.is_finite(values.get(s)))

    @property
    def unpaired(self) -> tuple:
        """((seed, why), ...): the row's seeds whose Original seed failed, is missing or gave a
        non-finite value, so that the seed's pair is lost."""
        out = []
        for seed in sorted(self.seeds):
            status = self.reference_seeds.get(seed)
            if status is None:
                out.append((seed, "no Original record"))
            elif status != "ok":
                out.append((seed, "Original failed"))
            elif not stats.is_finite(self.reference_values.get(seed)):
                out.append((seed, "Original not finite"))
        return tuple(out)

    @property
    def half_width(self) -> float | None:
        return stats.gain_half_width(self.gain)

    @property
    def seeds_for_resolution(self) -> int | None:
        """Seeds for a 95% half-width of the metric's smallest effect, from the paired sd."""
        if self.gain.low is None:
            return None
        return stats.seeds_for_half_width(self.gain.std, stats.smallest_effect(self.metric))

    def tags(self) -> list[str]:
        """Short names of what verdicts.md says about this configuration beyond its verdict."""
        tags = []
        if self.failed:
            tags.append("failed seeds")
        if self.unpaired:
            tags.append("Original seeds")
        if self.extended:
            tags.append("extended")
        if self.retries:
            tags.append("retried")
        if self.differing_prints:
            tags.append("g differs")
        return tags
