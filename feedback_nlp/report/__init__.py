"""Reports over a workspace: the report bundle (computed once) and its renderings.

* :mod:`~feedback_nlp.report.filters` -- segment and time-window filters parsed from text.
* :mod:`~feedback_nlp.report.sections` -- JSON-ready sections (scores, issues, segments, trends).
* :mod:`~feedback_nlp.report.bundle` -- :class:`ReportBundle`, what every rendering starts from.
* :mod:`~feedback_nlp.report.tables` -- the bundle as Rich tables (``feedback-nlp report``).
"""
