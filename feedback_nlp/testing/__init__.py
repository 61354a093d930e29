"""The harness the tests and the benchmarks share (the model: ``sklearn.utils.estimator_checks``).

* :mod:`~feedback_nlp.testing.servers` -- ``feedback-nlp serve`` subprocesses, keys, job polling.
* :mod:`~feedback_nlp.testing.backends` -- fresh SQLite/PostgreSQL databases and direct reads.
* :mod:`~feedback_nlp.testing.load`, :mod:`~feedback_nlp.testing.chaos`,
  :mod:`~feedback_nlp.testing.concurrency` -- the load, kill-and-restart and concurrent-ingest
  drivers behind ``tests/reliability`` and ``bench/``.
* :mod:`~feedback_nlp.testing.texts` -- the texts they post.
* :mod:`~feedback_nlp.testing.modules` -- load a script that is not in a package by its path.

Runtime code never imports this package (an import contract in ``pyproject.toml``).
"""
