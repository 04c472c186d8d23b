"""Benchmarks of the hub: ``python -m bench`` runs every scenario against the references.

The older single-purpose scripts still run on their own as ``python bench/<script>.py``:
``fault_latency.py`` (a site's fault report to the consoles, hub vs a bare relay),
``links_scale.py`` (link monitoring of many sites), ``redis_compare.py`` (SQLite vs
Redis vs two instances), ``startup.py``, ``report_speed.py``, ``testcall_bench.py``.
They share ``common.py`` (machine facts, CPU pinning, percentiles), ``servers.py``
(generated conferences, pinned processes), ``fault_servers.py`` (the hub and relay
under test) and ``wsclient.py`` (a msgpack session that answers pings).
"""
