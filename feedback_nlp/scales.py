"""The answer scales of the survey scores, declared once (:mod:`feedback_nlp.constraints`).

Row validation (:mod:`feedback_nlp.ingest.validate`), the analytics' columns and the API's
``FeedbackItemCreate`` read these bounds; none writes them again.
"""

from __future__ import annotations

from feedback_nlp.constraints import Interval

__all__ = ["CES", "CSAT", "NPS", "SCORES"]

#: Net Promoter Score answer: likelihood to recommend, a whole number 0..10.
NPS = Interval("int", 0, 10)
#: Customer satisfaction: a whole number 1..5.
CSAT = Interval("int", 1, 5)
#: Customer effort score: a number 1..7 (averaged answers may fall between the points).
CES = Interval("float", 1, 7)
#: Each score field and its scale.
SCORES: dict[str, Interval] = {"nps": NPS, "csat": CSAT, "ces": CES}
