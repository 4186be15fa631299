"""The grammar of row labels: a printed label -> the auxiliary term it names.

    Original                    plain pixel loss (no auxiliary term)
    +Null                       the noise-floor control: Original plus Charbonnier at lambda 1e-4
                                (below); takes no modifiers
    +<Prior>[(depth)]           random-weight prior by its printed name, e.g. CDC, INN
                                (depth default 5; Tables 6-7 print CDC(3), INN(7), ...)
    +<Loss>                     weight-free loss by its printed name, e.g. FFT (controls table)
    +epochR                     prior re-initialised at every epoch (paper Sec. 2.3); else "once"
    +Depth                      marks a non-default depth (goes with the "(depth)")
    +Transformer                transformer body instead of CNN (Tables 4-5)
    +xavier                     Xavier-normal initialisation instead of Kaiming (Tables 8-9)
    +Number(357)                parallel branches of depths 3, 5, 7 (Tables 10-11)
    +lambda(0.01) | +lambda(auto)   this row's lambda (Eq. 20); auto = calibrated (docs/priors.md)
    +theta(1)                   CDC's theta (Eq. 14 is theta = 1)
    +additive                   INN with additive coupling (Eq. 12)
Each modifier at most once. Labels are the paper's, exactly as printed, where it prints them.
The printed names are not listed here: each class in priors.PRIORS and priors.LOSSES declares
its own as LABEL (priors.printed_names()), so a prior added to the registry is printable at once.

+Null perturbs Original's trajectory while leaving its objective all but unchanged, so its
paired spread against Original (same seed: same start, same batches) is the design's noise
floor. Its term is weight-free (building it draws nothing from the RNG, so pairing holds) and at
lambda 1e-4: next to an L1 pixel loss the Charbonnier gradient is ~sign(y - gt), so the total
gradient is the pixel one scaled by ~1.0001, which Adam's normalisation all but cancels; what is
left are rounding differences that, like any perturbation, make trajectories diverge. It is the
term and lambda behind the null measurements. It is a run of its own (a distinct key
from Original) and the same run as `+Charbonnier+lambda(0.0001)` (docs/design.md).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .spec import AuxiliarySpec, pairs

REFERENCE_LABEL = "Original"
NULL_LABEL = "+Null"
NULL_TERM, NULL_LAMBDA = "charbonnier", 1e-4    # see the module docstring

_HEAD = re.compile(r"^(?P<name>[A-Za-z]+)(?:\((?P<depth>\d+)\))?$")
_CALL = re.compile(r"^(?P<name>[A-Za-z]+)\((?P<arg>[^()]*)\)$")
_PRIOR_ONLY = ("epochR", "Depth", "Transformer", "xavier", "Number", "theta", "additive")
_TAKES_ARGUMENT = ("Number", "lambda", "theta")
_RESERVED = _PRIOR_ONLY + ("lambda", NULL_LABEL[1:])


@dataclass(frozen=True)
class Label:
    auxiliary: AuxiliarySpec | None      # lam left at its default: the matrix decides unless `lam` is set
    lam: float | str | None = None       # from +lambda(...)


def _number(arg: str, label: str) -> tuple[int, ...]:
    if not arg.isdigit() or len(arg) < 2:
        raise ValueError(f"label {label!r}: Number(...) takes two or more branch depths as digits, e.g. Number(357)")
    return tuple(int(d) for d in arg)


def _lam(arg: str, label: str) -> float | str:
    if arg == "auto":
        return arg
    try:
        value = float(arg)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"label {label!r}: lambda(...) takes a non-negative number or auto, got {arg!r}")
    return value


def parse_label(label: str) -> Label:
    """A row label -> Label. Raises ValueError naming the bad part."""
    if label == REFERENCE_LABEL:
        return Label(None)
    if label == NULL_LABEL:
        return Label(AuxiliarySpec(NULL_TERM), NULL_LAMBDA)
    from priors import PRIORS       # priors imports torch; the constants here do not need it

    _check_form(label)
    first, *mods = label[1:].split("+")
    terms = _terms()
    head = _head(first, label, terms)
    fields: dict = {"name": terms[head["name"]]}
    is_loss = fields["name"] not in PRIORS
    options: dict = {}
    lam = None
    seen: set = set()
    for mod in mods:
        word, arg = _modifier(mod, label, first, is_loss, seen)
        if word == "lambda":
            lam = _lam(arg, label)
        else:
            _apply_modifier(word, arg, mod, label, fields, options, terms)
    _apply_depth(head["depth"], "Depth" in seen, is_loss, label, fields)
    return Label(AuxiliarySpec(**fields, options=pairs(options)), lam)


def _check_form(label) -> None:
    """Anything but Original and +Null is '+' followed by a term; +Null takes no modifiers."""
    if isinstance(label, str) and re.match(r"^\+Null\b", label):
        raise ValueError(f"label {label!r}: {NULL_LABEL} takes no modifiers (it is Original plus "
                         f"Charbonnier at lambda {NULL_LAMBDA:g}, the noise-floor control)")
    if not isinstance(label, str) or not label.startswith("+"):
        raise ValueError(f"label {label!r} must be {REFERENCE_LABEL!r} or start with '+'")


def _terms() -> dict[str, str]:
    """Printed term name -> registry name, read from the priors' and losses' registries."""
    from priors import printed_names

    terms = printed_names()
    clash = [name for name in terms if name in _RESERVED]
    if clash:
        raise ValueError(f"the printed name {clash[0]!r} of {terms[clash[0]]!r} is a word of the label grammar; "
                         "give its class another LABEL")
    return terms


def printed_name(name: str) -> str:
    """The printed name of a registered term, as row labels write it ("inn" -> "INN")."""
    return {registry: printed for printed, registry in _terms().items()}[name]


def _head(first: str, label: str, terms: dict):
    """The term of a label (a printed prior or loss name, optionally with a depth)."""
    head = _HEAD.match(first)
    if not head or head["name"] not in terms:
        raise ValueError(f"unknown term {first!r} in label {label!r}; expected one of {', '.join(terms)} "
                         "(a prior optionally with a depth, e.g. CDC(3))")
    return head


def _modifier(mod: str, label: str, first: str, is_loss: bool, seen: set) -> tuple[str, str | None]:
    """(word, argument) of one modifier, checked for repetition, fit to the term and arguments."""
    call = _CALL.match(mod)
    word, arg = (call["name"], call["arg"]) if call else (mod, None)
    if word in seen:
        raise ValueError(f"label {label!r}: modifier {word!r} is given twice")
    seen.add(word)
    if is_loss and word in _PRIOR_ONLY:
        raise ValueError(f"label {label!r}: {word!r} applies to priors, not to the weight-free {first} loss")
    if word in _PRIOR_ONLY + ("lambda",) and (arg is not None) != (word in _TAKES_ARGUMENT):
        raise ValueError(f"label {label!r}: modifier {mod!r} " + (
            f"needs an argument, e.g. {word}(...)" if arg is None else "takes no argument"))
    return word, arg


_FLAGS = {"epochR": ("strategy", "epochR"), "Transformer": ("arch", "transformer"), "xavier": ("init", "xavier")}


def _apply_modifier(word: str, arg: str | None, mod: str, label: str, fields: dict, options: dict,
                    terms: dict) -> None:
    """One modifier other than lambda(...) into the spec's fields or options."""
    if word in _FLAGS:
        fields[_FLAGS[word][0]] = _FLAGS[word][1]
    elif word == "Depth":
        pass                    # a marker: checked against the term's (depth) by _apply_depth
    elif word == "additive":
        options["coupling"] = "additive"
    elif word == "Number":
        fields["number"] = _number(arg, label)
    elif word == "theta":
        options["theta"] = _theta(arg, label)
    elif _HEAD.match(mod) and _HEAD.match(mod)["name"] in terms:
        raise ValueError(f"label {label!r}: a second term {mod!r}; a row adds one auxiliary term")
    else:
        raise ValueError(f"unknown modifier {mod!r} in label {label!r}; expected epochR, Depth, Transformer, "
                         "xavier, Number(<depths>), lambda(<value>|auto), theta(<value>) or additive")


def _theta(arg: str, label: str) -> float:
    try:
        theta = float(arg)
    except ValueError:
        theta = math.nan
    if not math.isfinite(theta):
        raise ValueError(f"label {label!r}: theta(...) takes a finite number, got {arg!r}")
    return theta


def _apply_depth(depth: str | None, depth_marker: bool, is_loss: bool, label: str, fields: dict) -> None:
    """A prior's (depth) goes with '+Depth'; a weight-free loss has none."""
    if depth is not None:
        if is_loss:
            raise ValueError(f"label {label!r}: a weight-free loss has no depth")
        fields["depth"] = int(depth)
    if depth_marker != (depth is not None):
        raise ValueError(f"label {label!r}: '+Depth' and a '(depth)' after the prior go together")
