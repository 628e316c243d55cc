"""Benchmarks: real nodes (waitress, loopback), keep-alive requests, medians and ratios.

Run everything: ``.venv/bin/python -m bench.run_all`` (``--quick`` for a small run in about half a minute).
"""
