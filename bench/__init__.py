"""Benchmarks: each module runs alone as `python -m bench.<name>` and prints `name: value`."""
