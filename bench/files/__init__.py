"""Files: where a run's files lie and how they are written; the lowest layer of bench.

Owns `layout` (`Layout`: results, weights, claims, logs, checkpoints and the Slurm ledger of an
invocation; `checkpoint_file`; a profile's results and tables folders, `default_folders`; a
tables folder's manifest, `rendered_here`) and `atomic` (atomic JSON, text, bytes and torch
writes, and the one `set_aside` for an invalid file).

May import: the standard library (and torch in `atomic.torch_save`) and itself; nothing else of bench.
Every other part may import it: training (checkpoints), execution (records, claims), the
experiment definition (migration), report (tables and figures) and perf. It sits here, under
all of them, so that report and execution share it without either importing the other.
"""
