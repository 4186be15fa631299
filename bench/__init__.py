"""Benchmark harness: matrix of Tables 1-11, training runner, metrics, aggregation."""
