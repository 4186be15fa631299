"""One run: claim it, train it, write its record, remove its checkpoint; what every executor
(in this process, a --jobs worker, a Slurm task) calls for each spec.

- The checkpoint is removed only after the result is written: no finished training is lost.
- A run that raises is recorded as ``failed`` with its error and the others go on; an
  interruption (Ctrl-C, SIGTERM) checkpoints the run in flight and writes no JSON for it.
- A full disk (or quota) stops every run with one line naming the folder (``DiskFull``); the
  run's last checkpoint and every finished result are kept.
"""
from __future__ import annotations

import errno
import traceback
from contextlib import contextmanager
from pathlib import Path

from bench.experiment.records import Record
from bench.files.atomic import write_json

from .claims import claim, release
from .result_files import is_finished, record, with_history


DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class DiskFull(RuntimeError):
    """No space (or quota) left for a record, checkpoint or weights file: no run can go on, so
    every run stops; the message is one line naming the folder, finished results and the
    checkpoints are kept."""


def disk_full(err: BaseException, spec, options) -> DiskFull | None:
    """``err`` as a DiskFull naming the folder (None unless it is a full disk or quota)."""
    if not isinstance(err, OSError) or err.errno not in DISK_FULL:
        return None
    where = Path(err.filename).parent if err.filename else Path(options.results)
    checkpoint = options.layout.checkpoint(spec.key)
    kept = f" and run {spec.key}'s checkpoint {checkpoint}" if checkpoint.exists() else ""
    return DiskFull(f"no space left in {where}/ ({err.strerror}) while writing "
                    f"{Path(err.filename).name if err.filename else 'a file'}; finished results{kept} are kept: "
                    "free space and run the same command again")


@contextmanager
def _disk_full_stops(spec, options):
    """A full disk inside the block raises ``DiskFull`` (one line naming the folder, the
    checkpoint kept), whatever wrote; any other exception passes unchanged."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - only a full disk is turned into DiskFull
        full = disk_full(err, spec, options)
        if full is None:
            raise
        raise full from None


def run_one(spec, options, device) -> Record | None:
    """Train one spec and write its JSON; any exception but an interruption or a full disk
    (``DiskFull``: nothing can go on) is a 'failed' record. Returns None (and trains nothing)
    when another live process holds the run or has finished it."""
    claimed = False
    try:
        with _disk_full_stops(spec, options):
            claimed = claim(options.results, spec.key)
        if not claimed:
            return None
        return _train_claimed(spec, options, device)
    finally:
        if claimed:     # released even when interrupted right after claiming
            release(options.results, spec.key)


def _train_claimed(spec, options, device) -> Record | None:
    """run_one's body once this process holds the run's claim."""
    import torch

    from bench.training import train

    layout = options.layout
    checkpoint = layout.checkpoint(spec.key)
    if is_finished(options.results, spec):  # another process finished it since this one listed it
        return None
    try:
        with _disk_full_stops(spec, options):
            measured = train.run(spec, data_root=options.data_root(spec.data.name), device=device,
                                 checkpoint_dir=layout.checkpoints, progress=not options.quiet,
                                 weights_path=layout.weights(spec.key) if options.keeps_weights(spec) else None,
                                 label=options.label(spec), progress_every=options.progress_every,
                                 log_dir=options.events_dir(spec))
            result = record(spec, "ok", measured, device=device)
    except (KeyboardInterrupt, DiskFull):
        raise
    except Exception as err:  # noqa: BLE001 - isolation: one failure never stops the others
        if device.type == "cuda":
            torch.cuda.empty_cache()
        last = traceback.extract_tb(err.__traceback__)[-1]
        message = f"{type(err).__name__}: {err} ({Path(last.filename).name}:{last.lineno})"
        result = record(spec, "failed", error=message, device=device)
    result = with_history(layout.result(spec.key), result)
    with _disk_full_stops(spec, options):
        write_json(layout.result(spec.key), result)
    if result["status"] == "ok":
        checkpoint.unlink(missing_ok=True)  # only now: the result is safely on disk
    return result
