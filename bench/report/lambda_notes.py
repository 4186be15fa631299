"""Lambda notes: the lambda (paper Eq. 20) a row ran with, printed beside its label where neither
the label nor its table's caption says it ("+Null (λ=0.0001)", "+CDC+lambda(auto) (λ=0.012 to
0.034)").

The values are the ones the records hold (each record's top-level "lambda", the value used,
calibrated for "auto"); what a label states is read by bench.experiment.labels.parse_label, and a
profile's default for a term by bench.experiment.spec.term_lambda, the rules the matrix expands
rows with.
"""
from __future__ import annotations

import math

from bench.experiment.labels import NULL_LABEL, REFERENCE_LABEL, parse_label
from bench.experiment.records import auxiliary_name
from bench.experiment.spec import term_lambda
from bench.report import stats


def lambdas_run(records) -> list[float]:
    """The distinct finite lambdas `records` ran with, sorted."""
    return sorted({float(r["lambda"]) for r in records if stats.is_finite(r.get("lambda"))})


def stated_lambda(label: str):
    """The lambda a label's own text states with +lambda(...): a number or "auto"; None for a
    label that states none (Original; +Null, whose lambda is implied, not written)."""
    if label in (REFERENCE_LABEL, NULL_LABEL):
        return None
    return parse_label(label).lam


def lambda_note(label: str, records, default) -> str | None:
    """"λ=0.0001" (one value over the seeds) or "λ=0.012 to 0.034" (calibrated per run) for a row
    whose label does not state the lambda it ran with: a +lambda(auto) row, and a row without
    +lambda(...) whose lambda is not its table's default for its term (+Null). None for
    Original, for rows not run, and where the label or the default says it. `default`: the
    profile's lambda for a row without +lambda(...) (a number, "auto", a map term -> lambda, or
    None where unknown)."""
    if label == REFERENCE_LABEL:
        return None
    values = lambdas_run(records)
    if not values:
        return None
    stated = stated_lambda(label)
    if stated is not None and stated != "auto":
        return None
    if stated is None:
        expected = term_lambda(default, auxiliary_name(records[0]))
        if expected is None or (stats.is_finite(expected) and all(
                math.isclose(v, float(expected), rel_tol=1e-9) for v in values)):
            return None
    return format_lambdas(values)


def format_lambdas(values) -> str:
    """"λ=0.0001", or "λ=0.012 to 0.034" for several values (sorted)."""
    values = sorted(values)
    if len(values) == 1:
        return f"λ={values[0]:.3g}"
    return f"λ={values[0]:.3g} to {values[-1]:.3g}"
