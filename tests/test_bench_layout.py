"""bench/'s subpackages keep the import rules their __init__ docstrings state (issue 19): metrics
imports nothing of bench but itself (and no torch); report never imports training, execution or
the cost benchmarks. Read from the source (AST), so a lazy import inside a function counts too."""
import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports, relative imports resolved; `from m import x`
    gives m and m.x (x may be a module)."""
    package = ["bench", *path.parent.relative_to(BENCH).parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return names


def modules_of(subpackage: str) -> list[Path]:
    return sorted((BENCH / subpackage).glob("*.py"))


@pytest.mark.parametrize("path", modules_of("metrics"), ids=lambda p: p.name)
def test_metrics_imports_nothing_of_bench_but_itself(path):
    names = imported_modules(path)
    outside = sorted(n for n in names if n.split(".")[0] == "bench" and not n.startswith("bench.metrics"))
    assert not outside, f"{path.name} imports {outside}"
    assert not any(n.split(".")[0] == "torch" for n in names), f"{path.name} imports torch"


@pytest.mark.parametrize("path", modules_of("report"), ids=lambda p: p.name)
def test_report_never_imports_training_execution_or_benchmarks(path):
    banned = ("bench.train", "bench.run", "bench.executor", "bench.slurm", "bench.perf", "bench.aggregate")
    found = sorted(n for n in imported_modules(path) for b in banned if n == b or n.startswith(b + "."))
    assert not found, f"{path.name} imports {found}"


def test_the_rules_are_checked_on_real_modules():
    assert len(modules_of("metrics")) >= 3 and len(modules_of("report")) >= 6
    assert "bench.metrics.functions" in imported_modules(BENCH / "metrics" / "table.py")
    assert "bench.report.stats" in imported_modules(BENCH / "report" / "render.py")
