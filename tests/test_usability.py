"""Small usability things: model names in any case, "did you mean", help texts with
defaults and the table ids, aligned dry-run columns, a dry run that writes nothing, a repr for
every loss, a hint when Slurm has no GPUs, a GPU guard for the paper profile, --data-root in
data errors."""
import json
import re

import pytest
import torch

from bench.execution import result_files
from bench import run as runner
from bench.experiment.matrix import MatrixError, expand
from conftest import one_line, specs_of, tiny_matrix
from bench.execution.slurm import submit
from priors import RandomPriorLoss, build_auxiliary


# ----- names ----------------------------------------------------------------------------------

def test_model_names_match_in_any_case(matrix, capsys, tmp_path):
    exact = expand(matrix, tables=[1], models=["DnCNN"])
    assert [e.key for e in expand(matrix, tables=[1], models=["dncnn"])] == [e.key for e in exact]
    assert [e.model for e in expand(matrix, tables=[1], models=["DNCNN"])] == [e.model for e in exact]
    assert runner.main(["--dry-run", "--table", "1", "--model", "dncnn", "--row", "Original",
                        "--results", str(tmp_path / "r")]) == 0
    assert " DnCNN " in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, fragment", [
    ({"tables": [1], "rows": ["CDC"]}, "unknown row 'CDC' in tables 1; expected one of"),
    ({"tables": [1], "rows": ["+cdc+epochr"]}, "did you mean '+CDC+epochR'?"),
    ({"tables": ["control"]}, "unknown table 'control'; the matrix has tables"),
    ({"tables": ["lamda"]}, "did you mean 'lambda'?"),
    ({"profile": "studdy"}, "did you mean 'study'?"),
])
def test_unknown_names_get_a_did_you_mean(matrix, kwargs, fragment):
    with pytest.raises(MatrixError) as err:
        expand(matrix, **kwargs)
    message = str(err.value)
    assert fragment in message and "\n" not in message
    if kwargs.get("rows") == ["CDC"]:
        assert message.endswith("did you mean '+CDC'?")
    if kwargs.get("tables") == ["control"]:
        assert message.endswith("did you mean 'controls'?")


def test_tables_match_in_any_case(matrix):
    assert {e.table for e in expand(matrix, tables=["Controls"])} == {"controls"}


def test_no_suggestion_when_nothing_is_close(matrix):
    with pytest.raises(MatrixError) as err:
        expand(matrix, tables=[1], rows=["+FFT"])
    assert "did you mean" not in str(err.value)


# ----- help and dry runs ----------------------------------------------------------------------

def test_help_lists_tables_models_profiles_and_every_default(capsys):
    with pytest.raises(SystemExit):
        runner.parse_run_args(["--help"])
    text = capsys.readouterr().out
    flat = " ".join(text.split())
    for table in ["1", "11", "controls", "lambda"]:
        assert re.search(rf"^  {table}\s+\S", text, re.M), table
    assert "models (--model): DnCNN, MPRNet" in flat and "profiles (--profile): smoke, study, converged, paper" in flat
    assert "--matrix FILE" in text and "(default: bench/experiment/matrix.yaml)" in flat
    for option in ["--table", "--model", "--row", "--profile", "--seeds", "--device", "--amp", "--results",
                   "--tables", "--checkpoints", "--matrix", "--workers", "--jobs", "--threads", "--keep-weights",
                   "--executor"]:
        block = re.search(rf"^  {option}\b.*?(?=^  --|\Z)", text, re.M | re.S).group(0)
        assert "default" in block, f"{option} states no default: {block!r}"
    assert "Relative paths are taken from the folder the command is run in" in flat


def test_dry_run_columns_are_aligned(capsys, tmp_path):
    """The lambda table's labels are longer than Table 1's: every column still starts at one place."""
    assert runner.main(["--dry-run", "--table", "lambda", "--table", "1", "--model", "DnCNN",
                        "--results", str(tmp_path / "r")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    assert len(lines) > 20
    starts = {tuple(m.start() for m in re.finditer(r"(?<=  )\S", line)) for line in lines}
    assert len(starts) == 1, lines[:3]
    assert {line.index(" seed ") for line in lines} == {lines[0].index(" seed ")}


def test_a_dry_run_writes_nothing_not_even_moving_an_invalid_record(tmp_path, no_training, capsys):
    matrix = tiny_matrix(tmp_path)
    (spec,) = specs_of(matrix)
    results = tmp_path / "results"
    results.mkdir()
    bad = results / f"{spec.key}.json"
    bad.write_text('{"status": "ok"}')
    before = sorted(p.name for p in results.iterdir())
    code = runner.main(["--matrix", str(matrix), "--results", str(results), "--dry-run", "--device", "cpu"])
    captured = capsys.readouterr()
    assert code == 0 and sorted(p.name for p in results.iterdir()) == before
    assert bad.read_text() == '{"status": "ok"}'
    warning = one_line(captured.err)
    assert str(bad) in warning and "would be redone" in warning
    assert spec.key in captured.out
    missing = tmp_path / "missing"
    assert runner.main(["--matrix", str(matrix), "--results", str(missing), "--dry-run"]) == 0
    assert not missing.exists()


# ----- losses ---------------------------------------------------------------------------------

def test_every_loss_prints_its_arguments():
    assert repr(RandomPriorLoss("cdc", weight=0.1, strategy="epochR", depth=3)) == \
        "RandomPriorLoss('cdc', weight=0.1, strategy='epochR', distance='l1', seed=0, depth=3)"
    assert repr(RandomPriorLoss("inn", weight=0.5, strategy="iterR", every=4, coupling="additive")) == \
        "RandomPriorLoss('inn', weight=0.5, strategy='iterR', distance='l1', seed=0, every=4, coupling='additive')"
    assert repr(build_auxiliary("charbonnier", weight=0.2)) == "CharbonnierLoss(weight=0.2, eps=0.001)"
    assert repr(build_auxiliary("edge", operator="sobel")) == "EdgeLoss(weight=0.1, operator='sobel')"
    assert repr(build_auxiliary("fft")) == "FFTLoss(weight=0.1)"
    loss = build_auxiliary("ssim")
    loss.weight = 0.25                                 # calibrate() sets it: the repr follows
    assert repr(loss) == "SSIMLoss(weight=0.25)"


# ----- Slurm, devices, data -------------------------------------------------------------------

def test_slurm_without_gpus_gets_a_hint(tmp_path, monkeypatch, no_training, capsys):
    """sbatch's "Invalid generic resource (gres) specification" says nothing of what to do."""
    class Refusing:
        def __init__(self, **kwargs):
            pass

        def update_parameters(self, **kwargs):
            self.parameters = kwargs

        def map_array(self, fn, items):
            raise RuntimeError("sbatch: error: Invalid generic resource (gres) specification\n"
                               "sbatch: error: Batch job submission failed")

    import submitit

    monkeypatch.setattr(submitit, "SlurmExecutor", Refusing)
    monkeypatch.setattr(submit, "queue_states", lambda: {})
    matrix = tiny_matrix(tmp_path)
    with pytest.raises(SystemExit) as exited:             # the command's exit status
        runner.main(["--matrix", str(matrix), "--results", str(tmp_path / "r"), "--executor", "slurm",
                     "--quiet", "--no-render"])
    message = one_line(capsys.readouterr().err)
    assert exited.value.code == 2 and "Invalid generic resource (gres) specification" in message
    assert "--device cpu" in message and "--slurm-gpus 0" in message and "asks for 1 GPU " in message
    plain = submit.submission_error(RuntimeError("sbatch: error: invalid partition specified: gpu"), {})
    assert "hint" not in plain and "invalid partition" in plain


def test_the_paper_profile_does_not_fall_back_to_the_cpu_silently(tmp_path, monkeypatch, no_training, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    matrix = tiny_matrix(tmp_path)
    base = ["--matrix", str(matrix), "--results", str(tmp_path / "r"), "--profile", "paper", "--quiet"]
    assert runner.main(base) == 2
    message = one_line(capsys.readouterr().err)
    assert "no CUDA device" in message and "--device cpu" in message
    assert runner.main([*base, "--dry-run"]) == 0          # listing needs no GPU
    capsys.readouterr()
    assert runner.main([*base, "--device", "cpu"]) == 2    # past the guard: the data check speaks
    assert "--data-root" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("extra", [(), ("--data-root", "sidd=/nowhere/at/all")])
def test_data_errors_of_the_runner_speak_of_data_root(tmp_path, no_training, capsys, extra):
    matrix = tiny_matrix(tmp_path)
    code = runner.main(["--matrix", str(matrix), "--results", str(tmp_path / "r"), "--profile", "paper",
                        "--device", "cpu", "--quiet", *extra])
    message = one_line(capsys.readouterr().err)
    assert code == 2 and "--data-root" in message and "sidd" in message
    assert "root=" not in message and "embedded_" not in message
    if extra:
        assert "/nowhere/at/all" in message and "does not exist" in message


def test_an_invalid_file_is_named_but_kept_in_a_dry_run(tmp_path):
    matrix = tiny_matrix(tmp_path)
    (spec,) = specs_of(matrix)
    path = tmp_path / f"{spec.key}.json"
    path.write_text(json.dumps([1, 2]))
    said = []
    assert not result_files.is_finished(tmp_path, spec) and path.exists()
    assert result_files.set_aside_invalid(tmp_path, [spec], dry_run=True, warn=said.append) == 1
    assert path.exists() and len(said) == 1 and "not a JSON object" in said[0]
    assert result_files.set_aside_invalid(tmp_path, [spec], warn=said.append) == 1
    assert not path.exists() and len(list(tmp_path.glob(f"{spec.key}.json.invalid-*"))) == 1
