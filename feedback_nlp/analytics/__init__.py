"""CX analytics: scores with confidence intervals, theme impact, segments and trends.

Pure computation over a :class:`~feedback_nlp.analytics.frame.FeedbackFrame` (arrays and data
frames in, values out): no database, no HTTP.

* :mod:`~feedback_nlp.analytics.frame` -- the validated input (items, scores, segments, mentions).
* :mod:`~feedback_nlp.analytics.scores` -- NPS, CSAT, CES and their intervals.
* :mod:`~feedback_nlp.analytics.breakdown` -- score tables per segment, theme and period.
* :mod:`~feedback_nlp.analytics.impact` -- theme impact on NPS, top detractor issues.
* :mod:`~feedback_nlp.analytics.segments` -- over/under-indexing with BH, segment sentiment.
* :mod:`~feedback_nlp.analytics.trends` -- theme volume per period, spikes, emerging themes.
* :mod:`~feedback_nlp.analytics.durations` -- resolution / first-response times, theme effects.
* :mod:`~feedback_nlp.analytics.churn` -- churn rate and lift per theme and segment (customers:
  :mod:`~feedback_nlp.analytics.customers`); :mod:`~feedback_nlp.analytics.revenue` -- revenue
  at risk; :mod:`~feedback_nlp.analytics.ranking` -- top issues by NPS impact, churn or revenue.
* :mod:`~feedback_nlp.analytics.stats` -- the vectorised intervals and tests behind them;
  :mod:`~feedback_nlp.analytics.bootstrap` -- quantiles with seeded bootstrap intervals.

Keeping a workspace's frame up to date (no SQL either; the rows come from a source such as the
store): :mod:`~feedback_nlp.analytics.loader` (build a frame from rows; ``FrameCache``),
:mod:`~feedback_nlp.analytics.merge` (fold new and changed items into a frame),
:mod:`~feedback_nlp.analytics.state` (per-workspace snapshots, updated from watermarks, swapped,
memoised and warmed) and :mod:`~feedback_nlp.analytics.persist` (snapshots on disk, crash-safe).
"""

from feedback_nlp.analytics.breakdown import (
    scores_by_period,
    scores_by_segment,
    scores_by_theme,
)
from feedback_nlp.analytics.frame import FeedbackFrame, table_records
from feedback_nlp.analytics.impact import theme_impact, top_detractor_issues
from feedback_nlp.analytics.scores import Estimate, ces, csat, csat_mean, nps
from feedback_nlp.analytics.segments import (
    segment_sentiment,
    theme_over_index,
    theme_sentiment_by_segment,
)
from feedback_nlp.analytics.trends import detect_spikes, emerging_themes, theme_trends

__all__ = [
    "Estimate",
    "FeedbackFrame",
    "ces",
    "csat",
    "csat_mean",
    "detect_spikes",
    "emerging_themes",
    "nps",
    "scores_by_period",
    "scores_by_segment",
    "scores_by_theme",
    "segment_sentiment",
    "table_records",
    "theme_impact",
    "theme_over_index",
    "theme_sentiment_by_segment",
    "theme_trends",
    "top_detractor_issues",
]
