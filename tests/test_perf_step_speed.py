"""bench.perf.step_speed: every variant times training's own step (the smoke profile's sizes)."""
from bench.perf import step_speed


def test_each_variant_prints_a_timing_against_fp32(capsys):
    assert step_speed.main(["--profile", "smoke", "--baselines", "dncnn", "--variants", "fp32,channels_last,bf16",
                            "--warmup", "1", "--repeats", "1"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1]
    assert row.startswith("| dncnn") and row.count("(x") == 2 and "failed" not in row


def test_an_unknown_variant_is_refused_before_timing(capsys):
    assert step_speed.main(["--variants", "fp64"]) == 2
    assert "--variants from" in capsys.readouterr().err
