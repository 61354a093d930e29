"""Reports over a workspace: the report bundle (computed once) and its renderings.

* :mod:`~feedback_nlp.report.filters` -- segment and time-window filters parsed from text.
* :mod:`~feedback_nlp.report.sections` -- JSON-ready sections (scores, issues, segments, trends),
  shaped as :mod:`~feedback_nlp.report.section_types` declares.
* :mod:`~feedback_nlp.report.insight` -- an insight as one declared unit; the registry
  :mod:`~feedback_nlp.report.insights` lists them for the bundle, HTML, CSV and API.
* :mod:`~feedback_nlp.report.bundle` -- :class:`ReportBundle`, what every rendering starts from.
* :mod:`~feedback_nlp.report.tables` -- the bundle as Rich tables (``feedback-nlp report``).
"""
