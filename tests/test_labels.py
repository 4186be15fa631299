"""The row-label grammar (bench/experiment/labels.py): each printed label -> the auxiliary term it names;
each bad label -> one line naming the bad part."""
import re

import pytest

from bench.experiment.labels import Label, parse_label
from bench.experiment.spec import AuxiliarySpec


def aux(name, **fields):
    return AuxiliarySpec(name, **fields)


@pytest.mark.parametrize("label, expected", [
    ("Original", Label(None)),
    ("+Taylor", Label(aux("taylor"))),
    ("+CDC(3)+epochR+Depth", Label(aux("cdc", strategy="epochR", depth=3))),
    ("+INN(7)+epochR+Depth", Label(aux("inn", strategy="epochR", depth=7))),
    ("+INN+epochR+Transformer", Label(aux("inn", strategy="epochR", arch="transformer"))),
    ("+CDC+epochR+xavier", Label(aux("cdc", strategy="epochR", init="xavier"))),
    ("+CDC+epochR+Number(357)", Label(aux("cdc", strategy="epochR", number=(3, 5, 7)))),
    ("+INN+epochR+Number(555)", Label(aux("inn", strategy="epochR", number=(5, 5, 5)))),
    ("+RandomCNN", Label(aux("random_cnn"))),
    ("+RandomCNN+epochR", Label(aux("random_cnn", strategy="epochR"))),
    ("+Reverse+epochR", Label(aux("reverse", strategy="epochR"))),
    ("+FFT", Label(aux("fft"))),
    ("+SSIM", Label(aux("ssim"))),
    ("+Edge", Label(aux("edge"))),
    ("+Charbonnier", Label(aux("charbonnier"))),
    ("+INN+lambda(auto)", Label(aux("inn"), lam="auto")),
    ("+FFT+lambda(auto)", Label(aux("fft"), lam="auto")),
    ("+CDC+lambda(0.01)", Label(aux("cdc"), lam=0.01)),
    ("+Taylor+lambda(1)", Label(aux("taylor"), lam=1.0)),
    ("+CDC+theta(1)", Label(aux("cdc", options=(("theta", 1.0),)))),
    ("+Null", Label(aux("charbonnier"), lam=1e-4)),   # the noise-floor control
    ("+INN+additive", Label(aux("inn", options=(("coupling", "additive"),)))),
])
def test_printed_labels_parse(label, expected):
    parsed = parse_label(label)
    assert parsed == expected
    if parsed.auxiliary is not None:
        assert parsed.auxiliary.lam == 0.1  # the label's lambda travels apart: the matrix resolves it


def test_lambda_value_is_a_float():
    assert isinstance(parse_label("+Taylor+lambda(1)").lam, float)


@pytest.mark.parametrize("label, fragment", [
    ("+Foo", "unknown term 'Foo'"),
    ("+cdc", "unknown term 'cdc'"),
    ("CDC", "must be 'Original' or start with '+'"),
    ("+CDC+epochX", "unknown modifier 'epochX'"),
    ("+CDC+INN", "a second term 'INN'"),
    ("+CDC+epochR+epochR", "modifier 'epochR' is given twice"),
    ("+CDC+lambda(1)+lambda(2)", "modifier 'lambda' is given twice"),
    ("+FFT+epochR", "'epochR' applies to priors, not to the weight-free FFT loss"),
    ("+SSIM+xavier", "'xavier' applies to priors"),
    ("+FFT(3)", "a weight-free loss has no depth"),
    ("+CDC+lambda(x)", "lambda(...) takes a non-negative number or auto, got 'x'"),
    ("+CDC+lambda(-1)", "got '-1'"),
    ("+CDC+lambda(nan)", "got 'nan'"),
    ("+CDC+lambda(inf)", "got 'inf'"),
    ("+CDC+lambda", "modifier 'lambda' needs an argument"),
    ("+CDC+epochR(2)", "modifier 'epochR(2)' takes no argument"),
    ("+CDC+Number(1)", "Number(...) takes two or more branch depths"),
    ("+CDC+Number(3a)", "Number(...) takes two or more branch depths"),
    ("+CDC+theta(x)", "theta(...) takes a finite number, got 'x'"),
    ("+CDC(3)", "'+Depth' and a '(depth)' after the prior go together"),
    ("+CDC(3)+epochR", "'+Depth' and a '(depth)'"),
    ("+CDC+Depth", "'+Depth' and a '(depth)'"),
    ("+Null+epochR", "+Null takes no modifiers"),
    ("+Null+lambda(0.1)", "+Null takes no modifiers"),
    ("+Null(3)", "+Null takes no modifiers"),
    ("+Nullx", "unknown term 'Nullx'"),
])
def test_bad_labels_are_one_line_naming_the_part(label, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)) as err:
        parse_label(label)
    assert "\n" not in str(err.value) and repr(label) in str(err.value)


def test_null_is_original_plus_a_negligible_weight_free_term():
    """+Null: a term that draws no weights (pairing by seed holds) at a lambda far below any
    effect, distinct from Original, and the same run as the explicit Charbonnier row."""
    from priors import LOSSES

    null = parse_label("+Null")
    assert null != parse_label("Original") and null.auxiliary.name in LOSSES and null.lam == 1e-4
    assert null == parse_label("+Charbonnier+lambda(0.0001)")


@pytest.mark.parametrize("word", ["Depth", "epochR", "lambda", "Null"])
def test_a_printed_name_that_is_a_word_of_the_grammar_is_refused(monkeypatch, word):
    """Printed names come from the registry (each class's LABEL); one the grammar already uses
    would make labels ambiguous, so parsing any label says which class to rename."""
    from priors import PRIORS

    monkeypatch.setitem(PRIORS, "clash", type("Clash", (PRIORS["cdc"],), {"LABEL": word}))
    message = f"the printed name {word!r} of 'clash' is a word of the label grammar"
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_label("+CDC")
