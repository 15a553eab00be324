"""Benchmarks: runners, the harness, reports (the FLOP counter is keras_vit.models.flops)."""
