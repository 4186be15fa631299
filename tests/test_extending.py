"""docs/extending.md, followed for real: its toy prior, registered as the guide says, is printable
as "+Toy" and builds as a loss; its baseline builds and restores; its table expands; every file it
names exists. The code is read from the guide itself, so the guide cannot drift from the code."""
import re
from pathlib import Path

import pytest
import torch
import yaml

import baselines
import priors.build
from bench.experiment.labels import Label, parse_label
from bench.experiment.matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix
from bench.experiment.spec import AuxiliarySpec, auxiliary_options
from priors import build_auxiliary, build_prior, printed_names

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "extending.md"
NEW_FILES = {"priors/toy.py", "baselines/tiny.py", "data/mydata.py"}   # what the guide has one write


def guide_block(section: str, language: str) -> str:
    """The first ``language`` code block under the guide's heading ``section``."""
    text = GUIDE.read_text()
    start = text.index(f"\n## {section}\n")
    block = re.compile(rf"^( *)```{language}\n(.*?)^\1```$", re.M | re.S).search(text, start)
    assert block, f"no {language} block under {section!r}"
    indent = len(block[1])
    return "".join(line[indent:] for line in block[2].splitlines(keepends=True))


def load_module(section: str, package: str) -> dict:
    """The guide's new module of ``package``, run as if it were a file of that package."""
    namespace = {"__name__": f"{package}._from_guide", "__package__": package}
    exec(compile(guide_block(section, "python"), str(GUIDE), "exec"), namespace)
    return namespace


@pytest.fixture
def toy(monkeypatch):
    """Step 2 of the prior recipe: the one registry entry."""
    cls = load_module("Add a prior", "priors")["ToyPrior"]
    monkeypatch.setitem(priors.build.PRIORS, "toy", cls)
    return cls


@pytest.mark.parametrize("label, expected", [
    ("+Toy", Label(AuxiliarySpec("toy"))),
    ("+Toy+epochR", Label(AuxiliarySpec("toy", strategy="epochR"))),
    ("+Toy(3)+epochR+Depth", Label(AuxiliarySpec("toy", strategy="epochR", depth=3))),
    ("+Toy+xavier+Number(35)", Label(AuxiliarySpec("toy", init="xavier", number=(3, 5)))),
    ("+Toy+lambda(auto)", Label(AuxiliarySpec("toy"), lam="auto")),
])
def test_the_guides_prior_is_printable_once_registered(toy, label, expected):
    assert printed_names()["Toy"] == "toy"
    assert parse_label(label) == expected


def test_the_guides_prior_builds_as_a_loss(toy):
    spec = parse_label("+Toy(3)+epochR+Depth").auxiliary
    term = build_auxiliary(spec.name, weight=0.1, seed=0, strategy=spec.strategy, **auxiliary_options(spec))
    assert list(term.parameters()) == [] and isinstance(term.prior, toy)
    y = torch.rand(2, 3, 12, 12, requires_grad=True)
    loss = term(y, torch.rand(2, 3, 12, 12))
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(loss) and y.grad.abs().sum() > 0
    net = build_prior("toy", depth=3, seed=1)
    assert all(not p.requires_grad for p in net.parameters()) and len(net.layers) == 3
    assert torch.equal(net.layers[0][0].weight, build_prior("toy", depth=3, seed=1).layers[0][0].weight)


def test_an_unregistered_prior_is_an_unknown_term():
    with pytest.raises(ValueError, match="unknown term 'Toy'"):
        parse_label("+Toy")


def matrix_with_the_guides_table(folder: Path) -> Path:
    """The project's matrix plus the guide's example table, written to ``folder``."""
    matrix = yaml.safe_load(DEFAULT_MATRIX.read_text())
    matrix["tables"].update(yaml.safe_load(guide_block("Add a table", "yaml")))
    path = folder / "matrix.yaml"
    path.write_text(yaml.safe_dump(matrix, sort_keys=False))
    return path


def test_the_guides_table_expands_with_the_toy_rows(toy, tmp_path):
    entries = expand(load_matrix(matrix_with_the_guides_table(tmp_path)), tables=["toy"], profile="smoke")
    assert [e.label for e in entries] == ["Original", "+CDC", "+Toy", "+Toy+epochR"]
    assert entries[2].spec.auxiliary.name == "toy" and entries[3].spec.auxiliary.strategy == "epochR"


def test_a_toy_row_without_the_registry_entry_is_a_matrix_error(tmp_path):
    with pytest.raises(MatrixError, match=r"row '\+Toy'.*unknown term 'Toy'"):
        load_matrix(matrix_with_the_guides_table(tmp_path))


def test_the_guides_baseline_builds_and_restores(monkeypatch):
    cls = load_module("Add a baseline", "baselines")["TinyNet"]
    monkeypatch.setitem(baselines.BASELINES, "tiny", cls)
    net = baselines.build_baseline("tiny", **cls.SMOKE_OVERRIDES)
    x = torch.rand(1, 3, 20, 24)
    assert net(x).shape == x.shape and net.task in baselines.TASKS
    assert net.recipe.total_iterations == 10_000


def test_every_file_the_guide_names_exists():
    named = set(re.findall(r"`((?:priors|baselines|data|bench|tests|docs)/[\w./-]+\.(?:py|yaml|md))`",
                           GUIDE.read_text()))
    assert {"priors/build.py", "bench/experiment/matrix.yaml", "bench/report/published.yaml"} <= named
    missing = sorted(p for p in named - NEW_FILES if not (ROOT / p).is_file())
    assert missing == []
