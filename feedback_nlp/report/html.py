"""The report bundle as HTML: one self-contained file, and the pages of the web dashboard.

:func:`collect_report` gathers what a page shows: the :class:`~feedback_nlp.report.bundle.
ReportBundle` plus what the bundle leaves to its renderers -- each theme's labels per language
and confidence (from the store's theme records), the language of each detractor quote (from its
item, so the quote gets a ``lang``), and the full segment x theme over-index tables behind the
heat maps (the bundle keeps only the significant cells). :func:`render_report` turns that into
one HTML document: CSS inline, charts as inline SVG (:mod:`~feedback_nlp.report.charts`), no
script, and a Content-Security-Policy that forbids every request, so the file opens offline and
cannot leak.

Feedback text is untrusted: the Jinja2 environment autoescapes everything (``<script>`` in a
quote renders as text), and every quote and label element carries ``dir="auto"`` (and ``lang``
when known) so Arabic, Hebrew and Persian read right-to-left inside a left-to-right page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from feedback_nlp.analytics.loader import FrameCache
from feedback_nlp.analytics.segments import theme_over_index
from feedback_nlp.errors import NotFoundError
from feedback_nlp.jobs.trust import small_corpus_warning
from feedback_nlp.report import charts, sections
from feedback_nlp.report.bundle import ReportBundle, build_report_bundle
from feedback_nlp.report.filters import ReportFilters
from feedback_nlp.report.heatmap import heatmap_theme_ids
from feedback_nlp.report.insights import INSIGHTS
from feedback_nlp.report.section_types import Estimate
from feedback_nlp.report.workspace import open_named_workspace

if TYPE_CHECKING:
    from feedback_nlp.domain import ThemeRecord
    from feedback_nlp.settings import Settings
    from feedback_nlp.store import Store

__all__ = [
    "HeatCell",
    "Heatmap",
    "ReportData",
    "ThemeRow",
    "collect_report",
    "environment",
    "export_report",
    "render_report",
    "write_report",
]

Record = dict[str, Any]

#: Most theme columns in a heat map (significant themes first, see
#: :mod:`~feedback_nlp.report.heatmap`) and most panels of the trend chart (small multiples).
HEATMAP_THEMES = 12
TREND_LINES = 8
#: Spikes listed in the spikes table; the rest sit behind a "show all" disclosure.
SPIKES_SHOWN = 5
#: Languages whose labels are listed in the theme table (most frequent first).
LABEL_LANGS = 5


@dataclass(frozen=True, slots=True)
class ThemeRow:
    """One row of the theme table.

    Attributes:
        theme_id: Stable id.
        label: Display label (custom, else generated).
        custom: Whether ``label`` is a name given by a person.
        labels: Generated labels per language, ``(lang, label)``, most frequent language first.
        size: Member units in the latest run.
        confidence: Stability across resampled runs (``None``: not measured).
        n_items: Respondents (after filters) mentioning it.
        nps: NPS estimate of those respondents (``None``: not in the filtered data).
        sentiment: Mean sentiment estimate of those respondents.
        spark: Mentions per trend period.
        quotes: Representative quotes ``{"text", "lang", "external_id"}``.
        general: In the general-sentiment pool (sentiment, no topic; not ranked as an issue).
    """

    theme_id: str
    label: str
    custom: bool
    labels: tuple[tuple[str, str], ...]
    size: int
    confidence: float | None
    n_items: int
    nps: Estimate | None
    sentiment: Estimate | None
    spark: tuple[float, ...]
    quotes: tuple[Mapping[str, str], ...] = ()
    general: bool = False


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One (segment value, theme) cell of a heat map."""

    lift: float | None
    color: str
    direction: str
    significant: bool
    title: str


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Over/under-indexing of chosen themes (significant first) in every value of an attribute."""

    attribute: str
    themes: tuple[ThemeRow, ...]
    rows: tuple[tuple[str, int, tuple[HeatCell, ...]], ...]


@dataclass(frozen=True)
class ReportData:
    """Everything a report page shows (see the module docstring)."""

    bundle: Record
    themes: list[ThemeRow]
    heatmaps: list[Heatmap]
    quote_langs: dict[str, str]
    segment_options: list[tuple[str, list[str]]] = field(default_factory=list)
    period_options: list[str] = field(default_factory=list)
    corpus_warning: str | None = None

    def theme(self, theme_id: str) -> ThemeRow | None:
        """The row of ``theme_id`` (``None`` when the filtered data has no such theme)."""
        return next((row for row in self.themes if row.theme_id == theme_id), None)


def collect_report(
    store: Store,
    workspace_id: int,
    filters: ReportFilters | None = None,
    *,
    cache: FrameCache | None = None,
    granularity: str = "week",
    fdr: float = 0.05,
    include_inactive: bool = False,
    rank_by: str = "nps_impact",
) -> ReportData:
    """Build the bundle of a workspace and what its HTML renderings add to it.

    Args:
        store: Where the workspace lives.
        workspace_id: Whose report.
        filters: Segment and time window (default: everything).
        cache: A frame cache shared between calls (the dashboard keeps one).
        granularity: Period of the trend charts: day, week or month.
        fdr: False discovery rate of the over-indexing tests.
        include_inactive: Also list inactive themes and themes no filtered item mentions
            (hidden by default, as in ``GET /v1/themes``).
        rank_by: Order of the top issues: ``nps_impact``, ``churn_lift`` or
            ``revenue_at_risk`` (the issue list shows the figure it ranks by).

    Raises:
        InvalidInputError: If a filter names an unknown segment attribute.
        NotFoundError: If the workspace does not exist.
    """
    filters = filters or ReportFilters()
    cache = cache or FrameCache(max_workspaces=1)
    bundle = build_report_bundle(
        store,
        workspace_id,
        filters,
        granularity=granularity,
        cache=cache,
        fdr=fdr,
        trend_themes=1_000_000,
        include_inactive=include_inactive,
        rank_by=rank_by,
    )
    data = bundle.to_json()
    frame = filters.apply(cache.get(store, workspace_id).frame)
    records = {t.theme_id: t for t in store.list_themes(workspace_id, include_inactive=True)}
    themes = _theme_rows(bundle, records)
    heatmaps = []
    rows_by_id = {row.theme_id: row for row in themes}
    for attribute, overview in bundle.segments.items():
        by = overview["by"][0] if len(overview["by"]) == 1 else tuple(overview["by"])
        table = theme_over_index(frame, by, fdr=fdr)
        cells: list[Record] = [
            {str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")
        ]
        # general-sentiment themes are no segment's issue (and follow its language)
        topical = [theme_id for theme_id, row in rows_by_id.items() if not row.general]
        shown = heatmap_theme_ids(topical, cells, HEATMAP_THEMES)
        heatmaps.append(_heatmap(attribute, [rows_by_id[t] for t in shown], cells))
    whole = cache.get(store, workspace_id).frame
    segment_options = [
        (key, sorted(str(v) for v in whole.items[key].dropna().unique())) for key in whole.segments
    ]
    _, months = whole.period_codes("month")
    _, weeks = whole.period_codes("week")
    return ReportData(
        bundle=data,
        themes=themes,
        heatmaps=heatmaps,
        quote_langs=_quote_langs(store, workspace_id, bundle.top_detractor_issues),
        segment_options=segment_options,
        period_options=[*months, *weeks],
        corpus_warning=latest_run_warning(store, workspace_id),
    )


def latest_run_warning(store: Store, workspace_id: int) -> str | None:
    """The small-corpus warning of the workspace's latest succeeded mine job (``None``: none).

    Recomputed from the job's item count, so runs from before the warning existed get it too.
    """
    for job in store.list_jobs(workspace_id, limit=20):
        if job.kind == "mine" and job.state == "succeeded" and job.result:
            n_items = job.result.get("n_items")
            return small_corpus_warning(n_items) if isinstance(n_items, int) else None
    return None


def _theme_rows(bundle: ReportBundle, records: Mapping[str, ThemeRecord]) -> list[ThemeRow]:
    scores = {row["group"]: row for row in bundle.scores_by_theme}
    spark = {s["theme_id"]: s["mentions"] for s in bundle.trends.get("series", [])}
    n_periods = len(bundle.trends.get("periods", []))
    rows = []
    for summary in bundle.themes:
        theme_id = str(summary["theme_id"])
        record = records.get(theme_id)
        score = scores.get(theme_id)
        shown = str(summary["label"])
        # the language of the label shown first (the display language's, when the theme has one)
        langs = sorted(
            (record.label if record else {}).items(),
            key=lambda kv: (
                kv[1] != shown,
                -(record.languages.get(kv[0], 0) if record else 0),
                kv[0],
            ),
        )
        rows.append(
            ThemeRow(
                theme_id=theme_id,
                label=shown,
                custom=bool(record and record.custom_label),
                labels=tuple(langs[:LABEL_LANGS]),
                size=int(summary["size"]),
                confidence=None if record is None else record.confidence,
                n_items=0 if score is None else int(score["n_items"]),
                nps=None if score is None else score["nps"],
                sentiment=None if score is None else score["sentiment"],
                spark=tuple(float(x) for x in spark.get(theme_id, [0] * n_periods)),
                quotes=tuple(record.quotes) if record else (),
                general=bool(summary.get("general")),
            )
        )
    return rows


def _heatmap(attribute: str, themes: Sequence[ThemeRow], cells: list[Record]) -> Heatmap:
    by_key = {(str(c["segment"]), str(c["theme_id"])): c for c in cells}
    values: dict[str, int] = {}
    for entry in cells:
        values.setdefault(str(entry["segment"]), int(entry["n_segment"]))
    rows = []
    for value, n_segment in values.items():
        row = []
        for theme in themes:
            cell = by_key.get((value, theme.theme_id))
            lift = None if cell is None else _finite(cell["lift"])
            direction = "none" if cell is None else str(cell["direction"])
            significant = direction != "none"
            q_value = None if cell is None else _finite(cell["q_value"])
            title = (
                "not tested"
                if cell is None or lift is None
                else f"{int(cell['mentions_segment'])} of {n_segment} respondents "
                f"({100 * float(cell['share_segment']):.1f}% vs "
                f"{100 * float(cell['share_rest']):.1f}% elsewhere), lift {lift:.2f}"
                + ("" if q_value is None else f", q={q_value:.3g}")
            )
            row.append(
                HeatCell(
                    lift=lift,
                    color=charts.heat_color(
                        None if lift is None or lift <= 0 else math.log(lift),
                        significant=significant,
                    ),
                    direction=direction,
                    significant=significant,
                    title=title,
                )
            )
        rows.append((value, n_segment, tuple(row)))
    return Heatmap(attribute=attribute, themes=tuple(themes), rows=tuple(rows))


def _quote_langs(store: Store, workspace_id: int, issues: Sequence[Record]) -> dict[str, str]:
    langs: dict[str, str] = {}
    for issue in issues:
        for quote in issue.get("quotes") or []:
            item_id = str(quote["item_id"])
            if item_id in langs:
                continue
            try:
                langs[item_id] = store.get_feedback(workspace_id, item_id).lang
            except NotFoundError:
                continue
    return langs


def _finite(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


# --- rendering --------------------------------------------------------------------------------


def _lang(value: object) -> str:
    """A ``lang`` attribute value: ISO codes only (``unknown`` and junk give ``""``)."""
    text = str(value or "")
    return text if 2 <= len(text) <= 8 and text.replace("-", "").isalpha() else ""


def _fmt(value: object, digits: int = 1) -> str:
    number = _finite(value)
    return "–" if number is None else f"{number:.{digits}f}"


def _pct(value: object, digits: int = 0) -> str:
    number = _finite(value)
    return "–" if number is None else f"{100 * number:.{digits}f}%"


def _qvalue(value: object) -> str:
    """A q-value with two significant digits (``"<0.0001"`` below that, ``"–"`` if none)."""
    number = _finite(value)
    if number is None:
        return "–"
    return "<0.0001" if number < 1e-4 else f"{number:.2g}"


def _estimate_chart(
    estimate: Mapping[str, Any] | None, lower: float, upper: float, title: str
) -> Markup:
    found: Mapping[str, Any] = estimate or {}
    return charts.interval_chart(
        found.get("value"),
        found.get("ci_low"),
        found.get("ci_high"),
        lower=lower,
        upper=upper,
        title=title,
    )


def _trend_chart(trends: Mapping[str, Any], series: Sequence[Mapping[str, Any]]) -> Markup:
    return charts.line_chart(
        list(trends.get("periods", [])),
        [[float(x) for x in s["mentions"]] for s in series],
        title=f"Mentions per {trends.get('period', 'period')}",
    )


def _trend_panels(
    trends: Mapping[str, Any], series: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Markup]]:
    """One small chart per series, all on the same y scale (small multiples)."""
    periods = list(trends.get("periods", []))
    values = [[float(x) for x in s["mentions"]] for s in series]
    peak = max((v for row in values for v in row if math.isfinite(v)), default=0.0)
    spikes = {(str(s.get("theme_id")), str(s.get("period"))) for s in trends.get("spikes", [])}
    return [
        (
            s,
            charts.small_multiple(
                periods,
                row,
                y_max=peak,
                marked=[i for i, p in enumerate(periods) if (str(s["theme_id"]), p) in spikes],
                title=f"Mentions per {trends.get('period', 'period')}",
                color=charts.series_color(0),
            ),
        )
        for s, row in zip(series, values, strict=True)
    ]


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report and dashboard templates (autoescape on)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("feedback_nlp.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {"lang": _lang, "fmt": _fmt, "pct": _pct, "qvalue": _qvalue}
    env.globals |= {
        "estimate_chart": _estimate_chart,
        "trend_chart": _trend_chart,
        "trend_panels": _trend_panels,
        "sparkline": charts.sparkline,
        "describe_spike_rule": sections.describe_spike_rule,
        "series_color": charts.series_color,
        "TREND_LINES": TREND_LINES,
        "SPIKES_SHOWN": SPIKES_SHOWN,
        "INSIGHTS": INSIGHTS,
    }
    return env


def render_report(data: ReportData) -> str:
    """The self-contained HTML report of ``data`` (one document, no external resource)."""
    return environment().get_template("report.html").render(r=data, b=data.bundle)


def write_report(
    store: Store,
    workspace_id: int,
    path: Path,
    filters: ReportFilters | None = None,
    *,
    granularity: str = "week",
    include_inactive: bool = False,
    rank_by: str = "nps_impact",
) -> ReportData:
    """Collect the report of a workspace and write it to ``path`` as one HTML file (UTF-8)."""
    data = collect_report(
        store,
        workspace_id,
        filters,
        granularity=granularity,
        include_inactive=include_inactive,
        rank_by=rank_by,
    )
    path.write_text(render_report(data), encoding="utf-8")
    return data


def export_report(
    settings: Settings,
    workspace: str,
    path: Path,
    *,
    segment: Sequence[str] = (),
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    granularity: str = "week",
    include_inactive: bool = False,
    rank_by: str = "nps_impact",
) -> ReportData:
    """Write the HTML report of the workspace called ``workspace`` (``feedback-nlp report --html``).

    ``rank_by``: order of the top issues (``nps_impact``, ``churn_lift``, ``revenue_at_risk``).

    Raises:
        NotFoundError: If there is no such workspace.
        InvalidInputError: If a filter does not parse or names an unknown segment attribute.
    """
    filters = ReportFilters.parse(segment=segment, period=period, start=start, end=end)
    with open_named_workspace(settings, workspace) as (store, workspace_id):
        return write_report(
            store,
            workspace_id,
            path,
            filters,
            granularity=granularity,
            include_inactive=include_inactive,
            rank_by=rank_by,
        )
