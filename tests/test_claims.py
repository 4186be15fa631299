"""Claims (bench/execution/claims.py): two processes that find the same dead owner's claim at the same
instant must not both take it over (before the flock, both won in about half of the
trials, so two invocations started together after a crash could train one run twice)."""
import json
import multiprocessing
import os
import socket
import subprocess

from bench.execution import claims
from bench.files.layout import Layout

TRIALS = 150


def _dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _racer(folder, keys, barrier, out):
    wins = []
    for key in keys:
        barrier.wait()                     # both processes leave together, trial by trial
        wins.append(claims.claim(folder, key))
    out.put((os.getpid(), wins))
    barrier.wait()                         # stay alive (the winners' claims stay live) until both reported


def test_two_processes_racing_over_a_dead_claim_find_one_winner_each_time(tmp_path):
    dead = {"host": socket.gethostname(), "pid": _dead_pid()}
    keys = [f"{i:016x}" for i in range(TRIALS)]
    for key in keys:
        (tmp_path / f"{key}.claim").write_text(json.dumps(dead))
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(2, timeout=60), context.Queue()
    procs = [context.Process(target=_racer, args=(str(tmp_path), keys, barrier, out)) for _ in range(2)]
    for proc in procs:
        proc.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    a, b = results.values()
    double = [key for key, x, y in zip(keys, a, b) if x and y]
    nobody = [key for key, x, y in zip(keys, a, b) if not x and not y]
    assert not double, f"{len(double)} of {TRIALS} dead claims were taken over by both processes"
    assert not nobody, f"{len(nobody)} of {TRIALS} dead claims were taken over by neither process"
    for key, x in zip(keys, a):            # the claim file names the winner
        winner = [pid for pid, wins in results.items() if wins[keys.index(key)]][0]
        assert json.loads((tmp_path / f"{key}.claim").read_text())["pid"] == winner


def test_an_empty_or_garbled_claim_is_taken_over(tmp_path):
    """A claim file whose owner never wrote it (crashed between create and write) is stale."""
    for text in ("", "{not json"):
        (tmp_path / "a.claim").write_text(text)
        assert claims.claim(tmp_path, "a")
        assert json.loads((tmp_path / "a.claim").read_text())["pid"] == os.getpid()
        claims.release(tmp_path, "a")


def test_claims_leave_only_the_lock_file(tmp_path):
    assert claims.claim(tmp_path, "k")
    claims.release(tmp_path, "k")
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], [Layout(tmp_path).claims_lock.name])
