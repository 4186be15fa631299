"""Train an invocation's runs through its executor (local or Slurm): a line per finished run (every
run unless --quiet, a failed one always, with the time left on a local executor), then the
summary. Exit status: 0 all ok, 1 some runs failed (or every worker was lost, or the disk is
full), 130 interrupted (the runs in flight checkpointed).
"""
from __future__ import annotations

import sys
import time

from bench.training import stops
from bench.training.progress import Remaining, done_line

from .executor import WorkersLost, execute_locally
from .one_run import DiskFull
from .provenance import device_name


def train_all(todo, specs, options, device) -> int:
    """Train the specs of ``todo`` on ``device`` (None under Slurm) as ``options`` say; ``specs``:
    every unique spec of the invocation (those not in ``todo`` were finished before)."""
    stops.install("runner")
    run = execute_locally
    if options.executor == "slurm":
        from .slurm import execute_on_slurm as run
    failed, done, held, started = [], 0, 0, time.time()
    remaining = Remaining(todo, parallel=options.jobs)    # Slurm: the queue sets the pace, no ETA
    try:
        for result in run(todo, options, device):
            if result is None:
                held += 1
                continue
            done += 1
            remaining.finished(result["key"], result)
            if result["status"] != "ok":
                failed.append(result)
            if not options.quiet or result["status"] != "ok":
                label = options.run_labels.get(result["key"], result["key"])
                local = options.executor == "local"
                eta, unknown = (remaining.seconds(), remaining.unknown_reason()) if local else (None, None)
                print(done_line(done + held, len(todo), label, result, eta, unknown), file=sys.stderr, flush=True)
    except (WorkersLost, DiskFull) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: {done} run(s) finished, the run(s) in flight checkpointed; the same command "
              "resumes them", file=sys.stderr)
        return 130
    if options.no_wait:
        return 0
    threads = f"{options.threads} thread{'' if options.threads == 1 else 's'}"
    where = "Slurm" if device is None else f"{device_name(device)} ({threads})"
    print(f"done in {time.time() - started:.1f} s on {where}: "
          f"{done - len(failed)} ok, {len(failed)} failed, {len(specs) - len(todo)} skipped"
          + (f", {held} left to (or done by) another live process" if held else ""))
    for result in failed:
        print(f"  failed {result['key']}: {result['error']}")
    return 1 if failed else 0
