"""pyproject.toml: ``pip install <checkout>`` installs priors, baselines, data and bench with their
dependencies declared, and ``import priors`` works from any folder.

The wheel is built offline, as pip builds it from a checkout, but without build isolation (no
download of setuptools) and without dependencies (``--no-deps --no-index``), from a copy of the
packaged files (the build writes build/ and *.egg-info beside the sources); it is unpacked, as
pip installs it, into a folder that is put on the path of a Python started in another folder."""
import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("priors", "baselines", "data", "bench")
OPTIONAL_IMPORTS = {"basicsr"}   # priors/basicsr_loss.py: only where BasicSR is installed


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared() -> dict:
    """canonical name -> Requirement, the dependencies and every extra's."""
    meta = project()
    texts = meta["dependencies"] + [r for extra in meta.get("optional-dependencies", {}).values() for r in extra]
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


def third_party_imports() -> set[str]:
    """Top-level modules the packages import that are neither the standard library nor their own."""
    names = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def test_every_imported_package_is_declared_and_the_pins_satisfy_the_bounds():
    requirements = declared()
    distributions = metadata.packages_distributions()
    missing = []
    for module in sorted(third_party_imports() - OPTIONAL_IMPORTS):
        names = {canonicalize_name(d) for d in distributions.get(module, [module])}
        if not names & set(requirements):
            missing.append(f"{module} ({', '.join(sorted(names))})")
    assert not missing, f"imported but not declared in pyproject.toml: {', '.join(missing)}"
    for name, version in pins().items():
        if name in requirements:
            assert requirements[name].specifier.contains(version, prereleases=True), (
                f"requirements.txt pins {name}=={version}, outside pyproject.toml's {requirements[name]}")
    assert canonicalize_name("torch") in requirements and "submitit" in project()["optional-dependencies"]["slurm"][0]


def test_every_package_and_data_file_is_in_the_package_list():
    """Every folder with an __init__.py is a listed package; every file the code reads is data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = sorted(".".join(p.parent.relative_to(ROOT).parts) for package in PACKAGES
                   for p in (ROOT / package).rglob("__init__.py"))
    assert sorted(config["packages"]) == found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel pip would build from this checkout, built offline from a copy of its files."""
    import setuptools

    version = tuple(int(x) for x in re.findall(r"\d+", setuptools.__version__)[:2])
    if version < (70, 1):
        try:
            import wheel as _  # noqa: F401  - older setuptools build wheels through it
        except ImportError:
            pytest.skip(f"setuptools {setuptools.__version__} needs the 'wheel' package to build a wheel offline")
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
                           "--disable-pip-version-check", "-q", "-w", str(tmp / "dist"), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = (tmp / "dist").glob("*.whl")
    return path


def test_the_wheel_holds_the_packages_their_data_and_the_dependencies(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    tracked = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    expected = set(tracked.stdout.split()) if tracked.returncode == 0 and tracked.stdout else set()
    assert expected, "git ls-files listed nothing"
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)[:10]}"
    assert not any(n.startswith(("tests/", "results/", "tables/", "examples/")) for n in names)
    for requirement in project()["dependencies"]:
        assert f"Requires-Dist: {Requirement(requirement)}" in meta, requirement


def test_import_priors_from_another_folder_after_installing_the_wheel(wheel, tmp_path):
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)                 # what pip install does with a pure-Python wheel
    code = ("import priors, baselines, data, bench.experiment.matrix, bench.metrics.functions, bench.report.published\n"
            "import numpy, torch\n"
            "from data import get_dataset\n"
            "loss = priors.RandomPriorLoss('cdc', weight=0.1)\n"
            "x = torch.rand(1, 3, 16, 16)\n"
            "assert float(loss(x, x)) == 0.0\n"
            "bench.experiment.matrix.load_matrix(); bench.report.published.load_published()\n"
            "numpy.load(bench.metrics.functions.NIQE_PARAMS_PATH)\n"
            "assert len(get_dataset('embedded_denoise', 'val', patch_size=32)) > 0\n"
            "print(priors.__file__)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(proc.stdout.strip()).is_relative_to(site)   # the installed copy, not the checkout
