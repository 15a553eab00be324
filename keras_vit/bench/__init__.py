"""Benchmarks and the analytic FLOP counter."""
