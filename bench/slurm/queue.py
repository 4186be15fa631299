"""What Slurm says about our jobs: live states from ``squeue`` (the controller, authoritative
for pending and running jobs) and final states from ``sacct`` (accounting, which may lag a
few seconds behind and keeps finished jobs)."""
from __future__ import annotations

import subprocess

# Job states after which a task never runs again (squeue/sacct "State"; first word only, as
# sacct writes "CANCELLED by 0"). Everything else (PENDING, RUNNING, REQUEUED, ...) is live.
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                      "DEADLINE", "OUT_OF_MEMORY", "REVOKED"})


class SlurmError(RuntimeError):
    """A Slurm command failed (controller down, command missing)."""


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SlurmError(f"{command[0]}: {err}") from None
    if done.returncode != 0:
        raise SlurmError(f"{' '.join(command)}: {done.stderr.strip() or f'exit status {done.returncode}'}")
    return done.stdout


def parse_states(text: str) -> dict[str, str]:
    """``"12_0|RUNNING\\n12_1|CANCELLED by 0\\n"`` -> ``{"12_0": "RUNNING", "12_1": "CANCELLED"}``.
    Step lines (``12_0.batch``) are left out."""
    states = {}
    for line in text.splitlines():
        job_id, sep, state = line.strip().partition("|")
        if sep and job_id and "." not in job_id:
            states[job_id] = state.split()[0] if state.split() else "UNKNOWN"
    return states


def queue_states() -> dict[str, str]:
    """This user's jobs known to the controller, one line per array task (``squeue -r``)."""
    return parse_states(_run(["squeue", "--me", "-r", "-h", "-o", "%i|%T"]))


def is_live(job_id: str, states: dict[str, str]) -> bool:
    return job_id in states and states[job_id] not in TERMINAL


def final_state(job_id: str) -> str:
    """The job's last state in accounting ("UNKNOWN" if accounting has no record of it)."""
    try:
        states = parse_states(_run(["sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", job_id]))
    except SlurmError:
        return "UNKNOWN"
    return states.get(job_id, "UNKNOWN")
