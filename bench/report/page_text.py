"""The results page's words and Markdown: each phrase that states a verdict, worded by that
verdict alone (`verdict_clause`, `finding`), its numbers' formats, and the wrapped paragraphs,
bullets and pipe tables the page is built of. Imports only `stats`.
"""
from __future__ import annotations

import math
import textwrap

from bench.report import stats

DASH = "—"
WIDTH = 100                                   # prose is wrapped here; tables are not


# ----- wording: every phrase follows its verdict ---------------------------------------------

def verdict_clause(raw: str, adjusted: str | None = None) -> str:
    """"ruled out before adjustment, inconclusive after", "ruled out before and after adjustment",
    or the raw verdict alone without an adjusted one: nothing but the two verdicts' own names."""
    if adjusted is None:
        return raw
    if adjusted == raw:
        return f"{raw} before and after adjustment"
    return f"{raw} before adjustment, {adjusted} after"


def adjusted_clause(raw: str, adjusted: str) -> str:
    """The adjusted verdict alone, for a list whose heading names the raw one: "inconclusive after
    adjustment", "ruled out after adjustment too"."""
    return f"{adjusted} after adjustment" + (" too" if adjusted == raw else "")


def fmt(value: float | None, decimals: int = 3) -> str:
    """"+0.123", "-0.045", "0.000" (never "-0.000"); a dash for None."""
    if value is None:
        return DASH
    text = f"{value:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text


def decimals_for(gain) -> int:
    """3 decimals, 4 where the interval is narrower than +-0.01 (the MPRNet noise floor)."""
    width = stats.gain_half_width(gain)
    return 4 if width is not None and width < 0.01 else 3


def interval(gain, decimals: int | None = None) -> str:
    """"+0.123 [+0.010, +0.236]"; the mean alone without an interval; a dash without a mean."""
    if gain is None or gain.mean is None:
        return DASH
    d = decimals_for(gain) if decimals is None else decimals
    if gain.low is None:
        return fmt(gain.mean, d)
    return f"{fmt(gain.mean, d)} [{fmt(gain.low, d)}, {fmt(gain.high, d)}]"


def finding(label: str, gain, raw: str, adjusted: str | None = None, unit: str = " dB",
            raw_in_heading: bool = False, more: str = "") -> str:
    """One configuration's gain and interval, the paper's gain and its verdicts: "+CDC -0.053
    [-0.092, -0.013] dB, paper +0.034 (opposite before adjustment, inconclusive after)". Under a
    heading that names the raw verdict, only the adjusted one is repeated; ``more`` is added
    inside the parentheses ("...; lasts")."""
    paper = "" if gain.published is None else f", paper {fmt(gain.published)}"
    clause = adjusted_clause(raw, adjusted) if raw_in_heading and adjusted else verdict_clause(raw, adjusted)
    return f"{label} {interval(gain)}{unit}{paper} ({clause}{f'; {more}' if more else ''})"


def seeds_gaining(judgement) -> str:
    """"all 4 seeds gain", "3 of 4 seeds gain", "no seed gains": the signs of the paired
    differences, on the seeds both the configuration and its Original have; from 6 seeds on,
    their median with its sign-test interval (stats.median_interval), which one far seed cannot
    carry: "11 of 12 seeds gain, median +0.311 [+0.124, +0.520] (sign-test interval, 96%)"."""
    values = judgement.measured.values.get(judgement.metric, {}) if judgement.measured else {}
    pairs = stats.paired_differences(judgement.metric, values, judgement.reference_values)
    up = sum(d > 0 for d in pairs)
    signs = f"all {up} seeds gain" if up == len(pairs) else (
        "no seed gains" if up == 0 else f"{up} of {len(pairs)} seeds gain")
    median = stats.median_interval(pairs)
    if median is None:
        return signs
    return (f"{signs}, median {fmt(median.median)} [{fmt(median.low)}, {fmt(median.high)}] "
            f"(sign-test interval, {math.floor(100 * median.coverage)}%)")


def count_text(counts: dict) -> str:
    """"2 ruled out, 5 inconclusive" (verdict order; zeros left out); "none" for no count."""
    parts = [f"{n} {v}" for v, n in counts.items() if n]
    return ", ".join(parts) if parts else "none"


# ----- Markdown pieces -------------------------------------------------------------------------

def para(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), WIDTH, break_on_hyphens=False, break_long_words=False)


def bullet(text: str, level: int = 0) -> str:
    indent = "  " * level
    return textwrap.fill(" ".join(text.split()), WIDTH, initial_indent=indent + "- ",
                         subsequent_indent=indent + "  ", break_on_hyphens=False, break_long_words=False)


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
