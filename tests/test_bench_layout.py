"""bench/'s subpackages keep the import rules their __init__ docstrings state: metrics
imports nothing of bench but itself (and no torch); files imports nothing of bench; the
experiment definition imports no training, execution or report; training never imports
execution or report; execution never imports report; report never imports training, execution
or the cost benchmarks. No module of bench/ imports itself back through others (no import cycle).
No two modules of bench/ share a name, nor define a top-level function or class of one name
(`main`, the entry point, aside). bench/ holds at most 8 modules directly, and no function in
bench/ is longer than 50 lines. Read from the source (AST), so a lazy import inside a function
counts too."""
import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
MAX_FUNCTION_LINES = 50


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


def module_name(path: Path) -> str:
    """bench.report.views for bench/report/views.py; bench.report for its __init__.py."""
    parts = ["bench", *path.relative_to(BENCH).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the modules of bench it imports (`from package import module` names the module)."""
    paths = {module_name(path): path for path in BENCH.rglob("*.py")}
    return {name: {n for n in imported_modules(path) if n in paths and n != name}
            - {n.rpartition(".")[0] for n in imported_modules(path) if n in paths}
            for name, path in paths.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle of `graph`, each as the path back to its first module (depth-first)."""
    cycles, done = [], set()

    def visit(name, path):
        if name in path:
            cycles.append(path[path.index(name):] + [name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


def modules_of(subpackage: str) -> list[Path]:
    return sorted((BENCH / subpackage).rglob("*.py"))


def imports_of(path: Path, banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in imported_modules(path) for b in banned if n == b or n.startswith(b + "."))


@pytest.mark.parametrize("path", modules_of("metrics"), ids=lambda p: p.name)
def test_metrics_imports_nothing_of_bench_but_itself(path):
    names = imported_modules(path)
    outside = sorted(n for n in names if n.split(".")[0] == "bench" and not n.startswith("bench.metrics"))
    assert not outside, f"{path.name} imports {outside}"
    assert not any(n.split(".")[0] == "torch" for n in names), f"{path.name} imports torch"


@pytest.mark.parametrize("path", modules_of("files"), ids=lambda p: p.name)
def test_files_imports_nothing_of_bench(path):
    outside = sorted(n for n in imported_modules(path) if n.split(".")[0] == "bench" and not n.startswith("bench.files"))
    assert not outside, f"{path.name} imports {outside}"


@pytest.mark.parametrize("path", modules_of("experiment"), ids=lambda p: p.name)
def test_experiment_imports_no_training_execution_or_report(path):
    banned = ("bench.training", "bench.execution", "bench.run", "bench.report", "bench.aggregate",
              "bench.perf", "bench.power")
    assert not imports_of(path, banned), f"{path.name} imports {imports_of(path, banned)}"


@pytest.mark.parametrize("path", modules_of("training"), ids=lambda p: p.name)
def test_training_never_imports_execution_or_report(path):
    banned = ("bench.execution", "bench.run", "bench.report", "bench.aggregate", "bench.perf", "bench.power")
    assert not imports_of(path, banned), f"{path.name} imports {imports_of(path, banned)}"


@pytest.mark.parametrize("path", modules_of("execution"), ids=lambda p: str(p.relative_to(BENCH)))
def test_execution_never_imports_report(path):
    banned = ("bench.report", "bench.aggregate", "bench.perf", "bench.power", "bench.run")
    assert not imports_of(path, banned), f"{path.name} imports {imports_of(path, banned)}"


@pytest.mark.parametrize("path", modules_of("report"), ids=lambda p: p.name)
def test_report_never_imports_training_execution_or_benchmarks(path):
    banned = ("bench.training", "bench.run", "bench.execution", "bench.perf", "bench.aggregate", "bench.power")
    assert not imports_of(path, banned), f"{path.name} imports {imports_of(path, banned)}"


# Cycles allowed for now, each as the set of its modules (none left: keep it empty).
KNOWN_CYCLES: set[frozenset[str]] = set()


def test_no_module_of_bench_imports_itself_back():
    found = [cycle for cycle in import_cycles(import_graph()) if frozenset(cycle) not in KNOWN_CYCLES]
    assert not found, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in found)


def test_the_known_cycles_are_still_there():
    """A cycle that is gone leaves KNOWN_CYCLES, so that it can never come back unseen."""
    present = {frozenset(cycle) for cycle in import_cycles(import_graph())}
    assert KNOWN_CYCLES <= present, KNOWN_CYCLES - present


def test_the_cycle_search_reads_lazy_imports_and_finds_cycles():
    graph = import_graph()
    assert "bench.report.views" in graph["bench.report.render"]            # from bench.report.views import
    assert "bench.report.stats" in graph["bench.report.render"]            # from bench.report import stats
    assert "bench.execution.one_run" in graph["bench.execution.worker"]    # imported inside work()
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_of_bench_share_a_name():
    """A module's name says which one it is (one options.py, one migrate.py), `__init__` aside."""
    names: dict[str, list[str]] = {}
    for path in BENCH.rglob("*.py"):
        if path.stem != "__init__":
            names.setdefault(path.stem, []).append(str(path.relative_to(BENCH)))
    assert not {n: p for n, p in names.items() if len(p) > 1}


# `main` is the entry point of every module run with `python -m`: the one name that may repeat.
ENTRY_POINT = "main"


def test_no_two_modules_of_bench_define_a_function_or_class_of_one_name():
    """A top-level function or class name says which one it is (one `render`, one `half_width`);
    logic written twice is imported from one place instead."""
    names: dict[str, list[str]] = {}
    for path in sorted(BENCH.rglob("*.py")):
        for node in ast.parse(path.read_text(), str(path)).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name != ENTRY_POINT:
                names.setdefault(node.name, []).append(str(path.relative_to(BENCH)))
    assert not {n: p for n, p in names.items() if len(p) > 1}


def test_bench_holds_at_most_eight_modules_directly():
    top = sorted(p.name for p in BENCH.glob("*.py"))
    assert len(top) <= 8, top
    assert {"__init__.py", "run.py", "aggregate.py", "power.py"} <= set(top)


@pytest.mark.parametrize("subpackage", ["experiment", "training", "execution", "files", "metrics", "report", "perf"])
def test_every_subpackage_says_what_it_owns_and_may_import(subpackage):
    doc = ast.get_docstring(ast.parse((BENCH / subpackage / "__init__.py").read_text())) or ""
    assert "Owns" in doc and "May import" in doc, subpackage


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    return [f"{path.relative_to(BENCH)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_no_function_in_bench_is_longer_than_50_lines():
    found = [line for path in sorted(BENCH.rglob("*.py")) for line in long_functions(path)]
    assert not found, "\n".join(found)


def test_the_rules_are_checked_on_real_modules():
    assert len(modules_of("metrics")) >= 3 and len(modules_of("report")) >= 6
    assert len(modules_of("training")) >= 7 and len(modules_of("execution")) >= 10
    assert "bench.metrics.functions" in imported_modules(BENCH / "metrics" / "table.py")
    assert "bench.report.stats" in imported_modules(BENCH / "report" / "render.py")
    assert "bench.training.stops" in imported_modules(BENCH / "execution" / "worker.py")
    assert "bench.experiment.spec" in imported_modules(BENCH / "training" / "train.py")
