"""The submitting side: queue the runs still to do as one job array (one task per run) through
submitit, then watch the results folder and the queue, yielding each run's record as its task
ends, like ``bench.execution.executor.execute_locally`` (docs/cluster.md)."""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.execution.result_files import is_finished, record
from bench.files.atomic import write_json
from bench.files.layout import Layout

from . import ledger
from .sbatch import MAX_REQUEUES_ON_TIMEOUT, executor_parameters
from .queue import SlurmError, final_state, is_live, queue_states

REPO_ROOT = Path(__file__).resolve().parents[3]  # bench/execution/slurm/submit.py -> the checkout
QUEUE_FAILURES_TOLERATED = 30   # consecutive failed squeue calls while waiting (controller restarts)


def submit_and_watch(todo, options, device=None):
    """Yield each spec's result record as its Slurm task ends (None for a run that another live
    process holds). ``device`` is unused: each task resolves ``--device`` on its node. With
    ``--no-wait`` it submits, prints the job id and yields nothing."""
    if not todo:
        return
    try:
        jobs = submit(todo, options)
    except (ValueError, SlurmError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    if options.no_wait:
        return
    try:
        yield from watch(todo, jobs, options.layout.resolved(), options.slurm.poll)
    except KeyboardInterrupt:
        print(f"\nstopped waiting; the Slurm jobs ({', '.join(sorted(set(array_ids(jobs.values()))))}) keep "
              "running: the same command waits for them again", file=sys.stderr)
        raise


def submit(todo, options) -> dict[str, str]:
    """Submit the runs not already pending or running in Slurm; key -> job id of every run."""
    try:
        import submitit
    except ImportError:
        raise ValueError("--executor slurm needs submitit: .venv/bin/pip install -r requirements.txt") from None
    from .task import RunTask

    layout = options.layout.resolved()
    params = executor_parameters(options, REPO_ROOT)
    with ledger.locked(layout) as entries:
        states = queue_states()
        queued = {s.key: entries[s.key]["job_id"] for s in todo
                  if is_live(entries.get(s.key, {}).get("job_id"), states)}
        new = [s for s in todo if s.key not in queued]
        if queued:
            say(f"{len(queued)} run(s) already queued or running in Slurm job(s) "
                f"{', '.join(sorted(set(array_ids(queued.values()))))}: not submitted again")
        if not new:
            return queued
        try:
            executor = submitit.SlurmExecutor(folder=layout.jobs, max_num_timeout=MAX_REQUEUES_ON_TIMEOUT)
            executor.update_parameters(**params)
            jobs = executor.map_array(RunTask(options.absolute()), new)
        except RuntimeError as err:  # no srun; sbatch refused (submitit's FailedJobError)
            raise ValueError(submission_error(err, params)) from None
        submitted_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for spec, job in zip(new, jobs):
            entries[spec.key] = {"job_id": job.job_id, "submitted_at": submitted_at,
                                 "log": str(layout.run_log(spec.key)), "stdout": str(job.paths.stdout)}
    say(f"submitted Slurm job {array_ids(job.job_id for job in jobs)[0]}: {len(new)} run(s), one task each; "
        f"logs in {layout.results / 'logs'}/<key>/run.log")
    return {**queued, **{spec.key: job.job_id for spec, job in zip(new, jobs)}}


def submission_error(err: Exception, params: dict) -> str:
    """sbatch's refusal in one line, with what to do where sbatch's own words do not say it."""
    text = " ".join(str(err).split())
    message = f"Slurm submission failed: {text}"
    if "gres" in text.lower() or "generic resource" in text.lower():
        gpus = params.get("gpus_per_node")
        asked = f"{gpus} GPU{'s' if gpus != 1 else ''}" if gpus else "a generic resource"
        message += (f" (hint: each run asks for {asked} and this cluster or partition offers none: train "
                    "on CPUs with --device cpu (or --slurm-gpus 0), or name a GPU partition with --slurm-partition)")
    return message


def say(message: str) -> None:
    """A line among run.py's progress lines."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stdout)
    sys.stdout.flush()


def array_ids(job_ids) -> list[str]:
    """``["12_0", "12_1", "13"]`` -> ``["12", "12", "13"]``."""
    return [str(job_id).split("_")[0] for job_id in job_ids]


def watch(todo, jobs: dict[str, str], layout: Layout, poll: float):
    """Yield records as tasks end: a fresh results file, or a failed record for a task that
    left the queue without one. Queue first, files second: a task writes before it ends."""
    pending = {spec.key: spec for spec in todo if spec.key in jobs}
    failures = 0
    while pending:
        try:
            states = queue_states()
            failures = 0
        except SlurmError as err:
            failures += 1
            if failures > QUEUE_FAILURES_TOLERATED:
                raise
            print(f"warning: {err} (retrying)", file=sys.stderr)
            time.sleep(poll)
            continue
        for key, spec in list(pending.items()):
            job_id = jobs[key]
            result = fresh_record(layout, spec, job_id)
            if result is None:
                if is_live(job_id, states):
                    continue
                result = ended_without_record(layout, spec, job_id, states.get(job_id))  # None: held
            del pending[key]
            yield result
        if pending:
            time.sleep(poll)


def fresh_record(layout: Layout, spec, job_id: str) -> dict | None:
    """The run's record if this submission produced it: any valid 'ok' record (the run was not
    finished when it was submitted), or a failed one that names this job."""
    path = layout.result(spec.key)
    if not path.exists():
        return None
    if is_finished(layout.results, spec):
        return json.loads(path.read_text())
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(result, dict) and (result.get("slurm") or {}).get("job_id") == job_id:
        return result
    return None


def ended_without_record(layout: Layout, spec, job_id: str, state: str | None) -> dict | None:
    """A task that left the queue without a fresh record: None when it found the run held by
    another live process, else a failed record naming its final state and logs (written)."""
    note = ledger.read_note(layout, spec.key)
    if note.get("job_id") == job_id and note.get("state") == "held":
        return None
    result = fresh_record(layout, spec, job_id)  # written between the queue check and now
    if result is not None:
        return result
    state = state or final_state(job_id)
    stdout = ledger.read(layout).get(spec.key, {}).get("stdout", str(layout.slurm / "jobs"))
    result = record(spec, "failed", error=f"Slurm task {job_id} ended {state} without a result; "
                                          f"logs: {layout.run_log(spec.key)} and {stdout}")
    result["slurm"] = {"job_id": job_id, "state": state, "log": str(layout.run_log(spec.key)), "stdout": stdout}
    write_json(layout.result(spec.key), result)
    return result
