"""The study profile's committed results (results/study/) and tables (tables/study/): the tables
re-render byte for byte from the records, and the folder a profile's `folder:` key chooses.
No training."""
import difflib
import re
from pathlib import Path

import pytest
import yaml

import bench.execution.result_files
import bench.execution.train_all
import bench.report.figures
import bench.report.tables_folder
from bench import aggregate
from bench import run as runner
from bench.experiment.matrix import profile_folder
from bench.files.layout import default_folders
from bench.files.atomic import write_json
from bench.experiment.matrix import DEFAULT_MATRIX, MatrixError, expand, load_matrix

REPO = Path(__file__).resolve().parents[1]
COMPARED = (".md", ".tex")          # the figures (PNG) depend on the matplotlib version: not compared


def _tables(folder: Path) -> dict:
    return {p.name: p for p in sorted(folder.glob("*")) if p.suffix in COMPARED}


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rerender_problems(results: Path, tables: Path, out: Path, monkeypatch, profile: str = "study") -> list[str]:
    """What differs between the committed tables (.md, .tex) and their re-rendering from `results`
    into `out`; [] when identical. Fails if rendering touches `results`."""
    committed = _tables(tables)
    if not committed:
        return [f"{results} holds records but {tables} has no .md/.tex"]
    # the figures are not compared: skip drawing them (the Markdown only names their files)
    monkeypatch.setattr(bench.report.figures, "plot_gains", lambda view, path: None)
    monkeypatch.setattr(bench.report.figures, "plot_curves", lambda view, path: None)
    before = _snapshot(results)
    assert aggregate.main(["--profile", profile, "--results", str(results), "--tables", str(out),
                           "--matrix", str(DEFAULT_MATRIX)]) == 0
    assert _snapshot(results) == before, f"rendering changed {results}"
    rendered = _tables(out)
    problems = [f"{name}: not re-rendered" for name in sorted(set(committed) - set(rendered))]
    problems += [f"{name}: re-rendered but not committed" for name in sorted(set(rendered) - set(committed))]
    for name in sorted(set(committed) & set(rendered)):
        ours, theirs = committed[name].read_text(), rendered[name].read_text()
        if ours != theirs:
            diff = difflib.unified_diff(ours.splitlines(True), theirs.splitlines(True), name, "re-rendered")
            problems.append(f"{name} differs:\n" + "".join(list(diff)[:40]))
    return problems


@pytest.mark.parametrize("profile", ["study", "converged"])
def test_committed_tables_re_render_identically(tmp_path, monkeypatch, profile):
    results, tables = REPO / "results" / profile, REPO / "tables" / profile
    if not list(results.glob("*.json")):
        pytest.skip(f"results/{profile}/ holds no records yet: no committed table to re-render")
    monkeypatch.chdir(tmp_path)                     # nothing may depend on the working directory
    problems = rerender_problems(results, tables, tmp_path / "tables", monkeypatch, profile)
    assert not problems, (f"tables/{profile}/ is stale; run `python -m bench.aggregate --profile "
                          f"{profile}` and commit tables/{profile}/:\n" + "\n".join(problems))


def _study_records(folder: Path) -> None:
    """Fake ok records of real study specs (Table 1, DnCNN: Original and +CDC, 3 seeds)."""
    entries = expand(load_matrix(), tables=[1], profile="study", seeds=[0, 1, 2], models=["DnCNN"],
                     rows=["Original", "+CDC"])
    folder.mkdir(parents=True)
    for e in entries:
        gain = 0.1 * (e.label == "+CDC")
        record = {"key": e.key, "config_key": e.config_key, "status": "ok", "error": None,
                  "spec": e.spec.to_dict(), "lambda": 0.1,
                  "metrics": {"mean": {"psnr": 30.0 + gain + 0.01 * e.seed, "ssim": 0.8}, "per_image": {}},
                  "curve": {"points": [[i, 1.0 / (i + 1), 0.1] for i in range(0, 1000, 250)]}}
        write_json(folder / f"{e.key}.json", record)
    (folder / f"{entries[0].key}.claim").write_text("pid 1")          # transient files are ignored
    (folder / f"{entries[0].key}.weights.pt").write_bytes(b"\0")


def test_the_re_render_check_passes_on_fresh_tables_and_catches_a_stale_one(tmp_path, monkeypatch):
    results, tables = tmp_path / "a" / "results" / "study", tmp_path / "a" / "tables" / "study"
    _study_records(results)
    monkeypatch.chdir(tmp_path / "a")
    assert aggregate.main(["--profile", "study", "--matrix", str(DEFAULT_MATRIX)]) == 0   # default folders
    assert {"table1.md", "table1.tex", "table1_detail.tex", "verdicts.md",
            "published_inconsistencies.md"} <= set(_tables(tables))
    assert (tables / "report.html").is_file()       # the page is regenerated with the tables
    md = (tables / "table1.md").read_text()         # the study trains on stand-ins, and says so
    assert "*DnCNN on SIDD stand-in*" in md and "SIDD stand-in = embedded_sidd" in md
    assert r"\textit{DnCNN on SIDD stand-in}" in (tables / "table1.tex").read_text()
    assert "### DnCNN on SIDD stand-in" in (tables / "verdicts.md").read_text()
    for path in _tables(tables).values():           # nothing machine- or checkout-specific
        text = path.read_text()
        assert str(tmp_path) not in text and str(REPO) not in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text), f"a timestamp in {path.name}"
    monkeypatch.chdir(tmp_path)                     # another working directory, another output folder
    assert rerender_problems(results, tables, tmp_path / "b", monkeypatch) == []
    stale = tables / "table1.md"
    stale.write_text(stale.read_text().replace("30.0", "31.0"))
    (tables / "table9.tex").write_text("old\n")
    problems = rerender_problems(results, tables, tmp_path / "c", monkeypatch)
    assert [p.splitlines()[0] for p in problems] == ["table9.tex: not re-rendered", "table1.md differs:"]


# ----- the folder mechanism -----------------------------------------------------------------

def test_default_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_folders(None, None) == ("results", "tables")
    assert default_folders(None, None, "study") == ("results/study", "tables/study")
    assert default_folders("./results/study", None, "study") == ("./results/study", "tables/study")
    assert default_folders(str(tmp_path / "results" / "study"), None, "study")[1] == "tables/study"
    assert default_folders("results", None, "study") == ("results", "tables")
    assert default_folders("results/study", None) == ("results/study", "results/study/tables")
    assert default_folders("other", None, "study") == ("other", "other/tables")
    assert default_folders("other", "t", "study") == ("other", "t")
    assert default_folders(None, "t", "study") == ("results/study", "t")


def test_only_the_committed_profiles_have_their_own_folders():
    matrix = load_matrix()
    assert {name: profile_folder(matrix, name) for name in matrix["profiles"]} == {
        "smoke": None, "study": "study", "converged": "converged", "paper": None}


@pytest.mark.parametrize("bad", ["../study", "a/b", "/abs", "", ".hidden", 3, None])
def test_a_bad_folder_is_a_one_line_error_naming_the_profile_key(tmp_path, bad):
    m = yaml.safe_load(DEFAULT_MATRIX.read_text())
    m["profiles"]["study"]["folder"] = bad
    path = tmp_path / "matrix.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    with pytest.raises(MatrixError) as err:
        load_matrix(path)
    message = str(err.value)
    assert "profiles.study.folder" in message and repr(bad) in message and "\n" not in message


@pytest.fixture
def restore_threads():
    """runner.main sets torch's thread count: put it back for the tests that run after this one."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _run_folders(tmp_path, monkeypatch, *argv):
    """The results folder the runner checks for finished runs and the folders it renders, for a
    run whose training is stubbed out."""
    monkeypatch.chdir(tmp_path)
    seen, rendered = set(), []

    def is_finished(results, spec, warn=None, move_invalid=True):
        seen.add(results)
        return False

    monkeypatch.setattr(bench.execution.result_files, "is_finished", is_finished)
    monkeypatch.setattr(runner, "check_data", lambda specs, roots: None)
    monkeypatch.setattr(bench.execution.train_all, "train_all", lambda todo, specs, options, device: 0)
    monkeypatch.setattr(bench.report.tables_folder, "render_tables",
                        lambda results, tables, *rest, **asked: rendered.append((results, tables)) or 0)
    assert runner.main(["--table", "1", "--model", "DnCNN", "--row", "Original", "--device", "cpu",
                        "--threads", "1", "--quiet", *argv]) == 0
    ((results, tables),) = rendered
    return seen, results, tables


def test_the_runner_uses_the_profile_folder_unless_told_otherwise(tmp_path, monkeypatch, restore_threads):
    assert _run_folders(tmp_path, monkeypatch, "--profile", "study") == ({"results/study"}, "results/study",
                                                                          "tables/study")
    assert (tmp_path / "results" / "study").is_dir()
    assert _run_folders(tmp_path, monkeypatch, "--profile", "smoke") == ({"results"}, "results", "tables")
    assert _run_folders(tmp_path, monkeypatch, "--profile", "study", "--results", "other") == (
        {"other"}, "other", "other/tables")
    assert _run_folders(tmp_path, monkeypatch, "--profile", "study", "--tables", "t") == (
        {"results/study"}, "results/study", "t")


def test_aggregating_the_study_profile_writes_only_its_tables_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert aggregate.main(["--profile", "study", "--matrix", str(DEFAULT_MATRIX)]) == 1    # no results
    assert list(tmp_path.rglob("*")) == []
    assert capsys.readouterr().err == ("error: no results in results/study (no such folder) for profile "
                                       "'study': nothing rendered, tables/study left as it was\n")
    _study_records(tmp_path / "results" / "study")
    monkeypatch.setattr(bench.report.figures, "plot_gains", lambda view, path: None)
    monkeypatch.setattr(bench.report.figures, "plot_curves", lambda view, path: None)
    assert aggregate.main(["--matrix", str(DEFAULT_MATRIX)]) == 0          # the profile with results
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert {p for p in written if not p.startswith("results/study/")} <= {
        f"tables/study/{p.name}" for p in (tmp_path / "tables" / "study").iterdir()}
    assert {"tables/study/.rendered.json", "tables/study/published_inconsistencies.md", "tables/study/table1.md",
            "tables/study/table1.tex", "tables/study/table1_detail.tex", "tables/study/verdicts.md"} <= written
    assert "`bench/report/published.yaml`" in (tmp_path / "tables/study/published_inconsistencies.md").read_text()
