"""Benchmark: the training-time cost of each random-weight prior (paper claim: no inference cost,
some training cost). For every prior configuration of Tables 1-11 it times one forward+backward of
the prior term alone and of a full DnCNN training step with it, and on CUDA the peak memory.

    python -m bench.bench_priors [--device auto] [--size 128] [--batch 2] [--repeats 5]
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from tabulate import tabulate

from baselines import build_baseline
from priors import RandomPriorLoss

CONFIGS = [  # (label, RandomPriorLoss keywords) as in the tables
    ("Original", None),
    ("+Taylor", dict(name="taylor")),
    ("+Taylor (width 16)", dict(name="taylor", width=16)),
    ("+CDC", dict(name="cdc")),
    ("+CDC(7)", dict(name="cdc", depth=7)),
    ("+CDC+Number(357)", dict(name="cdc", number=(3, 5, 7))),
    ("+INN", dict(name="inn")),
    ("+INN+Number(555)", dict(name="inn", number=(5, 5, 5))),
    ("+Reverse", dict(name="reverse")),
    ("+Taylor+Transformer", dict(name="taylor", arch="transformer")),
    ("+INN+Transformer", dict(name="inn", arch="transformer")),
]


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(fn, device, repeats: int) -> float:
    fn()  # warm-up
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / repeats * 1000


def measure(label, kwargs, device, size, batch, repeats) -> list:
    torch.manual_seed(0)
    model = build_baseline("dncnn").to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, size, size, device=device)
    gt = torch.rand(batch, 3, size, size, device=device)
    crit = RandomPriorLoss(weight=0.1, **kwargs) if kwargs else None

    def prior_only():
        y = gt.clone().requires_grad_(True)
        crit(y, gt).backward()

    def train_step():
        y = model(x)
        loss = F.l1_loss(y, gt) + (crit(y, gt) if crit else 0.0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    step_ms = _time(train_step, device, repeats)
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    prior_ms = _time(prior_only, device, repeats) if crit else 0.0
    return [label, round(prior_ms, 2), round(step_ms, 2), None if peak is None else round(peak)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device)
    rows = [measure(label, kw, device, args.size, args.batch, args.repeats) for label, kw in CONFIGS]
    base = rows[0][2]
    for row in rows:
        row.insert(3, f"{row[2] / base:.2f}x")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"DnCNN step with each prior, batch {args.batch}, {args.size}x{args.size}, {name}, "
          f"torch {torch.__version__}")
    print(tabulate(rows, headers=["prior", "prior fwd+bwd ms", "train step ms", "vs Original", "peak MiB"],
                   tablefmt="github"))


if __name__ == "__main__":
    main()
