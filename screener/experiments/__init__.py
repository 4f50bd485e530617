"""Experiments over simulated runs: the order cache, stopping-rule sweeps, their summaries and
reports. The CLI's ``screener stopping evaluate`` and the scripts in benchmarks/ call these;
the rules and their replay stay in ``screener.stopping``, which imports nothing from here.

- ``order_cache``: simulated orders cached per (pool, label, seed), simulated where missing.
- ``stopping_sweep``: every rule × target replayed on every cached order, one row per run.
- ``summary``: reliability with Wilson intervals, pooled tables, the leave-one-pool-out choice.
- ``tuning``: a resumable sweep of one rule's settings, and its report from the summary alone.
- ``reports`` and ``plots``: the JSON lines, markdown tables and figures under benchmarks/results.
"""
