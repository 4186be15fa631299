"""What Slurm says about our jobs: live states from ``squeue`` (the controller, authoritative
for pending and running jobs) and final states from ``sacct`` (accounting, which may lag a
few seconds behind and keeps finished jobs)."""
from __future__ import annotations

import re
import subprocess
import time

# Job states after which a task never runs again (squeue/sacct "State"; first word only, as
# sacct writes "CANCELLED by 0"). Everything else (PENDING, RUNNING, REQUEUED, ...) is live.
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                      "DEADLINE", "OUT_OF_MEMORY", "REVOKED"})


class SlurmError(RuntimeError):
    """A Slurm command failed (controller down, command missing)."""


def _command_output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SlurmError(f"{command[0]}: {err}") from None
    if done.returncode != 0:
        raise SlurmError(f"{' '.join(command)}: {done.stderr.strip() or f'exit status {done.returncode}'}")
    return done.stdout


ARRAY_RECORD = re.compile(r"^(\d+)_\[([0-9,%-]+)\]$")   # 12_[2], 12_[3-5], 105_[0-2%2]


def _array_tasks(job: str, ranges: str) -> list[str]:
    """``("105", "0-2%2")`` -> ``["105_0", "105_1", "105_2"]`` (a throttle ``%N`` is dropped)."""
    tasks = []
    for part in ranges.split("%")[0].split(","):
        first, _, last = part.partition("-")
        tasks += [f"{job}_{i}" for i in range(int(first), int(last or first) + 1)]
    return tasks


def parse_states(text: str) -> dict[str, str]:
    """``"12_0|RUNNING\\n12_1|CANCELLED by 0\\n"`` -> ``{"12_0": "RUNNING", "12_1": "CANCELLED"}``.
    Step lines (``12_0.batch``) are left out. An array record not yet split into tasks
    (``12_[2]``, ``105_[0-2%2]``: tasks still pending, or cancelled while pending) gives its
    state to each task it names that has no line of its own."""
    states, grouped = {}, {}
    for line in text.splitlines():
        job_id, sep, state = line.strip().partition("|")
        state = state.split()[0] if state.split() else "UNKNOWN"
        if not sep or not job_id or "." in job_id:
            continue
        array = ARRAY_RECORD.match(job_id)
        if array:
            grouped.update(dict.fromkeys(_array_tasks(*array.groups()), state))
        else:
            states[job_id] = state
    return {**grouped, **states}


def queue_states() -> dict[str, str]:
    """This user's jobs known to the controller, one line per array task (``squeue -r``), with
    the ones that ended recently (``-t all``, kept for the controller's MinJobAge): their final
    state comes from here, without accounting's lag, and for a task cancelled while pending
    even where accounting never splits it out of its array record."""
    return parse_states(_command_output(["squeue", "--me", "-r", "-h", "-t", "all", "-o", "%i|%T"]))


def is_live(job_id: str, states: dict[str, str]) -> bool:
    return job_id in states and states[job_id] not in TERMINAL


_silent_accounting = False   # set once accounting has had no record at all of a job we waited for


def final_state(job_id: str, wait: float = 20.0, poll: float = 1.0) -> str:
    """The job's last state in accounting. Accounting lags the controller by a few seconds, so
    this asks again for up to ``wait`` seconds until it shows a terminal state; after that it
    returns what it last saw ("UNKNOWN" if accounting never had a record of the job). Once a
    job's wait ended with no record at all (accounting off or far behind), later calls ask once
    instead of waiting again, so a batch of failed tasks does not cost `wait` seconds each."""
    global _silent_accounting
    deadline = time.monotonic() + (0.0 if _silent_accounting else wait)
    state, seen = "UNKNOWN", False
    while True:
        try:
            states = parse_states(_command_output(["sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", job_id]))
            seen = seen or job_id in states
            state = states.get(job_id, state)
        except SlurmError:
            pass
        if state in TERMINAL:
            return state
        if time.monotonic() >= deadline:
            _silent_accounting = _silent_accounting or not seen
            return state
        time.sleep(poll)
