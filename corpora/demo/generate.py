"""Generate the bundled demo corpus: ``feedback.csv`` and ``MANIFEST.json``.

The corpus is synthetic customer feedback in English, Arabic, Hebrew, Persian and Lithuanian,
written for this project. Nothing is copied from a dataset: every sentence comes from the
hand-written phrase books in ``phrases/<lang>.json``, one file per language, so a native speaker
can review a language without reading any code.

How a row is made (all randomness comes from one ``random.Random(seed)``, so a seed and a row
count always give the same bytes):

1. **Profile.** Draw ``region``, then ``lang`` from that region's language mix (Lithuanian mostly
   from ``baltics``, Arabic from ``mena``, Hebrew from ``israel``, Persian from ``iran``, English
   everywhere), then ``plan``, ``channel`` and a ``source`` that fits the channel.
2. **Time.** Draw a day in 2026-05-01 .. 2026-10-31 and a daytime-weighted hour (UTC).
3. **Sentiment.** ``negative`` (one or two complaints), ``positive`` (one or two kinds of praise)
   or ``mixed`` (praise and a complaint joined by a contrastive connective such as "but").
4. **Themes.** Complaints and praise are drawn from base rates that are the same everywhere and
   in which planted themes are rare. Then every planted complaint whose segment matches the row
   fires with its own probability and is added on top: praise turns into that complaint, a
   complaint gains it as a second theme. So each planted theme dominates its segment's
   detractors (and lowers the segment's NPS), stays at a few percent elsewhere, and every other
   theme keeps the same per-row rate in every segment, which is what makes a control segment.
5. **Text.** Each theme picks one of its phrasings (and a filler such as "two weeks" for its
   slots); the clauses are joined by a language-specific template; an opener and a closer may be
   added (at most three sentences in all); about 3% get an emoji, about 2% a fake e-mail address
   at ``example.com`` or a fake phone number for the PII stage. A text already used is redrawn.
6. **Scores.** NPS follows the sentiment (complaints mostly 0-6, praise 9-10, mixed 7-8) and is
   left empty on about 5% of rows; CSAT (1-5) is present on about 40%.

**Incident reports.** A planted complaint may carry an :class:`Incident`, a bad release. Before
step 1, each row becomes an incident report with probability ``share``: its profile is drawn as
in step 1 but inside the complaint's segment, its day falls in the burst (``start`` to
``start + days - 1``) at a daily rate that halves every ``half_life_days`` as the fix reaches
users, and it is a complaint about the incident's theme (plus, at the usual rates, a planted
complaint of its other segments or a base complaint), written and scored as in steps 5-6. So a
release adds feedback, as a real one does, instead of relabelling the feedback of its weeks.

The demo's incident is the mobile release of 2026-09-21, which crashes on start: 3.5% of rows
(about 52 of 1,500) are ``app_crash`` reports from ``channel=mobile_app``, with a half-life of
3 days over 14 days, so about 83% of them come in the release week. Outside the incident, crash
complaints run at about 4 a week (the mobile planting fires on 20% of mobile rows); the release
week gets about 11 times that, and nearly twice the usual number of items, the week after about
3 times, and then the rate is back at its base. Crash-on-start makes the app unusable for
everyone who updates, so crash reports, not a modest rise, are what such a release produces.
With the reports, ``app_crash`` is about 40% of mobile detractors over the whole period, the
target every planted complaint has (``intended_share``). The manifest lists the incident's
weekly counts (the 4 weeks before, the burst's weeks and one more).

Rows are then sorted by ``created_at`` and numbered ``demo-000001`` onwards.

**Outcomes.** Last, :func:`draw_outcomes` gives the sorted rows their outcome columns
(``customer_id``, ``first_response_at``, ``resolved_at``, ``churned``, ``churned_at``,
``revenue``) from a second ``random.Random("outcomes-<seed>")``, so every other column is what it
was before outcomes existed. Planted: tickets about login and SSO take 3x as long to resolve,
price complaints churn 2.5x as often as the base rate, enterprise customers carry 20x the
revenue of pro ones; customers repeat, only tickets have times, churn is known on 70% of rows.
The manifest's ``outcomes`` entry records what the file shows. The theme labels
never reach the CSV; :func:`generate_rows` returns them on :class:`DemoRow` for tests and
evaluation, and ``MANIFEST.json`` records the planted complaints, the control segments, the
planted incident (under ``spikes``) and the shares and counts actually observed.

Usage::

    python corpora/demo/generate.py --seed 13 --n 1500 --out corpora/demo/feedback.csv

The script needs only the standard library.

The code lives in the package ``demogen/`` beside this script, one job per module (see its
``__init__``). This file is the entry point and re-exports the generator's API (rows, phrase
books, planted definitions, manifest and files), so the script, a load by file path
(``importlib``) and ``from generate import generate_rows`` all work as before. The tuning
constants stay in their modules: patch them there (``demogen.outcomes.OUTCOME_STREAM``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Loaded by file path (importlib) rather than run as a script, this folder may not be on the path.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from demogen.cli import main
from demogen.corpus import (
    BASE_COLUMNS,
    COLUMNS,
    DEFAULT_N,
    DEFAULT_SEED,
    END_DAY,
    LANGUAGES,
    OUTCOME_COLUMNS,
    PHRASES_DIR,
    START_DAY,
)
from demogen.files import render_csv, write_corpus
from demogen.generation import generate_rows
from demogen.manifest import build_manifest
from demogen.outcomes import draw_outcomes
from demogen.phrasebook import PhraseBook, load_phrasebook
from demogen.planted import CONTROL_SEGMENTS, PLANTED, Incident, PlantedComplaint
from demogen.row import DETRACTOR_MAX_NPS, DemoRow
from demogen.themes import THEME_IDS, THEMES, Theme
from demogen.truth import detractor_share

HERE = Path(__file__).resolve().parent

__all__ = [
    "BASE_COLUMNS",
    "COLUMNS",
    "CONTROL_SEGMENTS",
    "DEFAULT_N",
    "DEFAULT_SEED",
    "DETRACTOR_MAX_NPS",
    "END_DAY",
    "HERE",
    "LANGUAGES",
    "OUTCOME_COLUMNS",
    "PHRASES_DIR",
    "PLANTED",
    "START_DAY",
    "THEMES",
    "THEME_IDS",
    "DemoRow",
    "Incident",
    "PhraseBook",
    "PlantedComplaint",
    "Theme",
    "build_manifest",
    "detractor_share",
    "draw_outcomes",
    "generate_rows",
    "load_phrasebook",
    "main",
    "render_csv",
    "write_corpus",
]

if __name__ == "__main__":
    raise SystemExit(main())
