"""Executors: train the specs one after another, or fan them out over local devices
(one worker process per GPU slot), writing each ``results/<key>.json`` atomically as it ends.

A run that raises is recorded as ``failed`` with its error and the others go on; an
interruption (Ctrl-C, SIGTERM) checkpoints the run in flight and writes no JSON for it.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import traceback
from datetime import datetime, timezone
from pathlib import Path

from .atomic import write_json
from .dataroot import root_for
from .provenance import device_name, git_commit, versions


def result_path(results_dir, key: str) -> Path:
    return Path(results_dir) / f"{key}.json"


def is_finished(results_dir, key: str) -> bool:
    try:
        return json.loads(result_path(results_dir, key).read_text()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def record(spec, status: str, measured: dict | None = None, error: str | None = None, device=None) -> dict:
    return {
        "key": spec.key, "config_key": spec.config_key, "status": status, "error": error,
        "spec": spec.to_dict(), **(measured or {}),
        "device": device_name(device) if device is not None else None,
        "versions": versions(), "git_commit": git_commit(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def run_one(spec, args, device) -> dict:
    """Train one spec and write its JSON; any exception but an interruption is a 'failed' record."""
    import torch

    from . import train

    try:
        measured = train.run(spec, data_root=root_for(args.data_roots, spec.dataset), device=device,
                             checkpoint_dir=args.checkpoints, progress=not args.quiet and args.jobs == 1,
                             workers=args.workers)
        result = record(spec, "ok", measured, device=device)
    except KeyboardInterrupt:
        raise
    except Exception as err:  # noqa: BLE001 - isolation: one failure never stops the others
        if device.type == "cuda":
            torch.cuda.empty_cache()
        last = traceback.extract_tb(err.__traceback__)[-1]
        message = f"{type(err).__name__}: {err} ({Path(last.filename).name}:{last.lineno})"
        result = record(spec, "failed", error=message, device=device)
    write_json(result_path(args.results, spec.key), result)
    return result


def interrupt_on_sigterm() -> None:
    """SIGTERM (kill, Slurm pre-emption) behaves like Ctrl-C: checkpoint, no partial JSON."""
    def _raise(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)


def worker_devices(device, jobs: int) -> list:
    """One device per worker: GPU slots round-robin over the visible GPUs; CPU shared."""
    import torch

    if device.type == "cuda" and device.index is None:
        return [torch.device("cuda", i % torch.cuda.device_count()) for i in range(jobs)]
    return [device] * jobs


def execute(todo, args, device):
    """Yield each spec's result record as it finishes."""
    if args.jobs <= 1:
        for spec in todo:
            yield run_one(spec, args, device)
        return
    context = multiprocessing.get_context("spawn")  # CUDA cannot be used in forked children
    tasks, results = context.Queue(), context.Queue()
    for spec in todo:
        tasks.put(spec)
    devices = worker_devices(device, args.jobs)
    threads = max(1, (os.cpu_count() or 1) // len(devices))
    workers = [context.Process(target=_worker, args=(str(d), threads, args, tasks, results), daemon=True)
               for d in devices]
    for worker in workers:
        tasks.put(None)  # one stop marker per worker
        worker.start()
    try:
        for _ in todo:
            yield results.get()
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.terminate()


def _worker(device: str, threads: int, args, tasks, results) -> None:
    import torch

    interrupt_on_sigterm()
    torch.set_num_threads(threads)
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    try:
        for spec in iter(tasks.get, None):
            results.put(run_one(spec, args, device))
    except KeyboardInterrupt:
        pass  # the run in flight was checkpointed; the parent is interrupted too
