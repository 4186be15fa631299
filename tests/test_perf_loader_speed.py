"""bench.perf.loader_speed times the training loop's own step (train_step), fed by the loader and
by a batch held in memory."""
from __future__ import annotations

from bench.perf import loader_speed
from bench.training import train


def test_loader_speed_times_the_training_step(monkeypatch, capsys):
    calls = []
    real_step = train.train_step

    def counted(run, iteration, batch):
        calls.append(iteration)
        return real_step(run, iteration, batch)

    monkeypatch.setattr(loader_speed, "train_step", counted)
    assert loader_speed.main(["--device", "cpu", "--workers", "0", "--steps", "1"]) == 0
    assert "ms/step" in capsys.readouterr().out
    assert calls == list(range(8))   # 3 warm-up + 1 timed, twice; the iteration counts on (epochR, schedule)
