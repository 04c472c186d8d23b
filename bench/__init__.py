"""Benchmarks of the hub: ``python -m bench`` runs every scenario against the references.

The older single-purpose scripts (``fault_latency.py``, ``links_scale.py``,
``startup.py``, ...) still run on their own as ``python bench/<script>.py``.
"""
