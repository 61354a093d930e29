"""Analysts steer the themes: merge, split, move, ignore, seed and rename, kept across re-mines.

Every edit is a recorded, ordered, undoable :class:`~feedback_nlp.taxonomy.operations.Operation`
(who, when, what); the taxonomy shown is the latest mining run's assignment with every operation
in force replayed on it (:mod:`feedback_nlp.taxonomy.replay`), after each edit, each undo and
each mining run (:mod:`feedback_nlp.taxonomy.remine`). The edits themselves are made through
:class:`feedback_nlp.taxonomy.service.TaxonomyService` (imported from its module: it needs the
store, which imports this package's pure parts).

Modules: ``operations`` (the record and its parameter checks), ``state`` (what a replay reads),
``draft`` (its working state), ``appliers`` (one function per kind), ``replay``, ``split`` and
``seed`` (the vector computations), ``vectors`` (where vectors come from), ``checks`` and
``previews`` (used by the service), ``service``, ``remine``, ``between`` (new feedback assigned
between mining runs, edits included).
"""

from feedback_nlp.taxonomy.operations import KINDS, STATUSES
from feedback_nlp.taxonomy_records import Operation

__all__ = ["KINDS", "STATUSES", "Operation"]
