"""Records of runs resumed before checkpoints kept their wall time: found by their TensorBoard
logs (the last attempt's event file begins past step 0) and marked ``wall_time_partial``, so no
seconds-per-run figure counts their last attempt's time as a whole run's. Nothing else in a
record changes (a resume is bit-exact: its numbers are the uninterrupted run's)."""
from __future__ import annotations

import json
from pathlib import Path

from bench.files.atomic import write_json
from bench.files.layout import existing_events_dir
from bench.training.tblog import last_attempt_resumed


def mark_partial_wall_times(results: str | Path, logs: str | Path, dry_run: bool = False) -> list[Path]:
    """Mark each ok record in ``results`` whose run folder in ``logs`` (``<name>_<key>`` or
    ``<key>``) shows a resumed last attempt; records that already say (``resumed_at``) or have no
    log are left. Returns the records marked (or, with ``dry_run``, that would be)."""
    marked = []
    for path in sorted(Path(results).glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue                      # not a record this can read; the report names it
        if (not isinstance(record, dict) or record.get("status") != "ok" or "resumed_at" in record
                or record.get("wall_time_partial") or not isinstance(record.get("key"), str)):
            continue
        folder = existing_events_dir(Path(logs), record["key"])
        if folder is not None and last_attempt_resumed(folder):
            if not dry_run:
                write_json(path, {**record, "wall_time_partial": True})
            marked.append(path)
    return marked
