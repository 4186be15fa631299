"""Cost benchmarks: what a prior adds to a training step, whether the loader keeps the device
busy, how fast the metrics are, and the device-hours of each table.

Owns `prior_cost` (python -m bench.perf.prior_cost: step time, FLOPs and memory with and without
each auxiliary term), `loader_speed` (python -m bench.perf.loader_speed), `metric_speed`
(python -m bench.perf.metric_speed) and `gpu_hours` (python -m bench.perf.gpu_hours: the paper
profile's device-hours from prior_cost's step times). bench/device_check.sh runs them on a GPU.

May import: priors, baselines, data, and any part of bench (the experiment definition, training,
the metrics) so that what it times is what runs. Nothing imports it.
"""
