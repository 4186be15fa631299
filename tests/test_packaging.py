"""pyproject.toml: ``pip install <checkout>`` installs the loss alone, as ``random_weight_prior``
(the priors/ folder), with torch as its only dependency, and nothing that could shadow a user's own
``data`` or ``bench``; ``pip install '<checkout>[suite]'`` adds what the suite, run from the
checkout, imports. requirements.txt's exact pins satisfy every declared bound.

The install is the one pip does from a checkout, offline: ``pip install --no-deps
--no-build-isolation --target DIR`` with the venv's setuptools (torch 2.13 requires setuptools >=
77.0.3, so the README's venv has it), from a copy of the files the build reads (the build writes
build/ and *.egg-info beside the sources). A Python started in a user's folder that has a
``data/`` of its own, without ``__init__.py``, imports both."""
import ast
import re
import shutil
import subprocess
import sys
import tomllib
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
NAME = "random_weight_prior"          # the loss's import name, installed from priors/
LOSS = "priors"                       # its folder, imported under that name by the suite
SUITE = ("bench", "baselines", "data")
OPTIONAL_IMPORTS = {"basicsr"}        # priors/basicsr_loss.py: only where BasicSR is installed
BUILD_FILES = ("pyproject.toml", "README.md", "LICENSE")   # what the build reads besides priors/
ENV = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements(texts) -> dict:
    """canonical name -> Requirement."""
    return {canonicalize_name(Requirement(t).name): Requirement(t) for t in texts}


def pins() -> dict:
    """canonical name -> pinned version of requirements.txt."""
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line).groups()
            out[canonicalize_name(name)] = version
    return out


def imports_in(path: Path) -> list[str]:
    """The modules a file imports absolutely (``from . import x`` is relative: not listed)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


def imports(*folders: str) -> set[str]:
    """Top-level modules the folders' code imports."""
    return {module.split(".")[0] for folder in folders for path in (ROOT / folder).rglob("*.py")
            for module in imports_in(path)}


def third_party(names: set[str]) -> set[str]:
    return names - set(sys.stdlib_module_names) - {LOSS, *SUITE, "__future__"} - OPTIONAL_IMPORTS


def undeclared(modules: set[str], declared: dict) -> list[str]:
    """The modules whose distribution (by the venv's packages_distributions) is not declared."""
    distributions = metadata.packages_distributions()
    missing = []
    for module in sorted(modules):
        names = {canonicalize_name(d) for d in distributions.get(module, [module])}
        if not names & set(declared):
            missing.append(f"{module} ({', '.join(sorted(names))})")
    return missing


# ----- what is declared ----------------------------------------------------------------------------

def test_the_loss_imports_torch_only_and_depends_on_torch_only():
    assert third_party(imports(LOSS)) == {"torch"}
    assert set(requirements(pyproject()["project"]["dependencies"])) == {"torch"}


def test_the_loss_imports_itself_relatively_so_it_works_under_its_installed_name():
    absolute = sorted(f"{path.name}: {module}" for path in (ROOT / LOSS).rglob("*.py")
                      for module in imports_in(path) if module.split(".")[0] == LOSS)
    assert not absolute


def test_every_package_the_suite_imports_is_in_the_suite_extra():
    """(or in the slurm extra: submitit, imported by the Slurm executor only)"""
    meta = pyproject()["project"]
    extras = meta["optional-dependencies"]
    declared = requirements(meta["dependencies"] + extras["suite"] + extras["slurm"])
    missing = undeclared(third_party(imports(LOSS, *SUITE)), declared)
    assert not missing, f"imported by the suite but not in pyproject.toml's suite extra: {', '.join(missing)}"
    assert set(requirements(extras["slurm"])) == {"submitit"}


def test_the_pins_satisfy_the_bounds():
    meta = pyproject()["project"]
    declared = requirements(meta["dependencies"] + [r for extra in meta["optional-dependencies"].values()
                                                    for r in extra])
    for name, version in pins().items():
        if name in declared:
            assert declared[name].specifier.contains(version, prereleases=True), (
                f"requirements.txt pins {name}=={version}, outside pyproject.toml's {declared[name]}")
    assert {"torch", "numpy", "tensorboard", "submitit", "pytest"} <= set(pins()) & set(declared)


def test_one_package_mapped_from_the_priors_folder():
    config = pyproject()["tool"]["setuptools"]
    assert config["packages"] == [NAME] and config["package-dir"] == {NAME: LOSS}
    # a subpackage of priors/ would need its own entry in `packages`
    assert [p.parent for p in (ROOT / LOSS).rglob("__init__.py")] == [ROOT / LOSS]


# ----- what pip installs ---------------------------------------------------------------------------

def pip_install(source: Path, target: Path, *options: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                           "--disable-pip-version-check", "-q", "--target", str(target), *options, str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def installs(tmp_path_factory):
    """(plain, editable): the checkout installed into two fresh --target folders."""
    import setuptools

    needed = re.search(r"setuptools\s*>=\s*([\d.]+)", " ".join(pyproject()["build-system"]["requires"])).group(1)
    assert Version(setuptools.__version__) >= Version(needed), (
        f"setuptools {setuptools.__version__} is older than pyproject.toml's build-system needs ({needed}); "
        f"pip install 'setuptools>={needed}'")
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "checkout"
    source.mkdir()
    for name in BUILD_FILES:
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / LOSS, source / LOSS, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pip_install(source, tmp / "plain")
    pip_install(source, tmp / "editable", "--editable")
    return tmp / "plain", tmp / "editable"


def user_folder(tmp_path: Path) -> Path:
    """A user's project: its own data/ folder, no __init__.py (a namespace package), beside nothing of ours."""
    (tmp_path / "project" / "data").mkdir(parents=True)
    (tmp_path / "project" / "data" / "loader.py").write_text("def load():\n    return 'the user data'\n")
    return tmp_path / "project"


USE_BOTH = """
import sys
sys.modules["numpy"] = None           # the loss needs torch only
{prelude}
from data.loader import load
assert load() == "the user data"
import torch, random_weight_prior
loss = random_weight_prior.RandomPriorLoss("cdc", weight=0.1)
x = torch.rand(1, 3, 16, 16)
assert float(loss(x, x)) == 0.0
import random_weight_prior.basicsr_loss
print(random_weight_prior.__file__)
"""


def test_the_installed_loss_leaves_a_users_data_folder_importable(installs, tmp_path):
    plain, _ = installs
    project = user_folder(tmp_path)
    proc = subprocess.run([sys.executable, "-c", USE_BOTH.format(prelude="")], cwd=project, capture_output=True,
                          text=True, timeout=120, env={**ENV, "PYTHONPATH": str(plain)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(proc.stdout.strip()).is_relative_to(plain)       # the installed copy, not the checkout
    top_level = {p.name for p in plain.iterdir()}
    assert not top_level & {"data", "bench", "baselines", "priors"}, sorted(top_level)
    assert {p.name for p in (plain / NAME).glob("*.py")} == {p.name for p in (ROOT / LOSS).glob("*.py")}


def test_the_editable_install_maps_the_name_onto_the_checkouts_folder(installs, tmp_path):
    _, editable = installs
    project = user_folder(tmp_path)
    prelude = f"import site; site.addsitedir({str(editable)!r})   # runs the editable install's .pth"
    proc = subprocess.run([sys.executable, "-c", USE_BOTH.format(prelude=prelude)], cwd=project, capture_output=True,
                          text=True, timeout=120, env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(proc.stdout.strip()).parent.name == LOSS          # the (copied) checkout's priors/
    assert not {p.name for p in editable.iterdir()} & {"data", "bench", "baselines", "priors"}


def test_the_metadata_requires_torch_and_offers_the_suite_extra(installs):
    plain, _ = installs
    (info,) = plain.glob("*.dist-info")
    meta = Parser().parsestr((info / "METADATA").read_text())
    assert set(meta.get_all("Provides-Extra")) == {"suite", "slurm", "test"}
    declared = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    assert [str(r) for r in declared if r.marker is None] == [str(Requirement("torch>=2.3"))]
    suite = {canonicalize_name(r.name): str(r.specifier) for r in declared
             if r.marker is not None and r.marker.evaluate({"extra": "suite"})}
    expected = {name: str(r.specifier) for name, r in requirements(pyproject()["project"]["optional-dependencies"]
                                                                   ["suite"]).items()}
    assert suite == expected
    assert meta["License-Expression"] == "MIT" and (info / "licenses" / "LICENSE").is_file()
