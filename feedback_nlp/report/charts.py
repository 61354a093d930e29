"""Charts for the HTML report and the dashboard, rendered on the server as inline SVG.

Why SVG strings from Python rather than a JavaScript chart library: the report must be ONE file
that opens offline (no CDN, no request of any kind) and the dashboard runs under a
Content-Security-Policy without scripts. A vendored library (Chart.js is ~200 kB minified) would
have to be inlined into every report and would need ``script-src``; the four charts we draw (an
estimate with its interval, a line chart of volumes per period, a sparkline, heat-map colours)
take ~200 lines here, render identically in the report and the dashboard, print well, and can be
tested as plain strings.

Every function returns :class:`markupsafe.Markup`. The only text placed inside an SVG is numbers
and period labels, and it is escaped; labels written by people (theme names, which may be in
Arabic or Hebrew) go in HTML legends next to the charts, where ``dir="auto"`` can apply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = [
    "PALETTE",
    "heat_color",
    "interval_chart",
    "line_chart",
    "series_color",
    "sparkline",
]

#: Colour-blind-safe categorical palette (Okabe-Ito, black left out).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
)


def series_color(index: int) -> str:
    """The colour of the ``index``-th series (the palette repeats)."""
    return PALETTE[index % len(PALETTE)]


def _num(value: float) -> str:
    """A coordinate with at most one decimal (compact and deterministic)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def interval_chart(
    value: float | None,
    low: float | None,
    high: float | None,
    *,
    lower: float,
    upper: float,
    title: str,
    width: int = 240,
    height: int = 28,
) -> Markup:
    """A horizontal scale from ``lower`` to ``upper`` with the estimate and its interval.

    Args:
        value: The estimate (``None`` or NaN: an empty scale).
        low: Lower end of the confidence interval.
        high: Upper end of the confidence interval.
        lower: Left end of the scale (``-100`` for NPS).
        upper: Right end of the scale.
        title: Accessible name of the chart (escaped).
        width: Width in px.
        height: Height in px.

    Returns:
        An ``<svg role="img">`` element.
    """
    if not upper > lower:
        raise ValueError(f"interval_chart needs upper > lower. Got lower={lower}, upper={upper}.")
    pad = 6.0
    span = width - 2 * pad

    def x(v: float) -> float:
        return pad + span * (min(max(v, lower), upper) - lower) / (upper - lower)

    mid = height / 2
    parts = [
        f'<line x1="{_num(pad)}" y1="{_num(mid)}" x2="{_num(width - pad)}" y2="{_num(mid)}" '
        'stroke="#bbb" stroke-width="2"/>'
    ]
    if lower < 0 < upper:
        parts.append(
            f'<line x1="{_num(x(0))}" y1="4" x2="{_num(x(0))}" y2="{_num(height - 4)}" '
            'stroke="#888" stroke-dasharray="2 2"/>'
        )
    if value is not None and math.isfinite(value):
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
            parts.append(
                f'<rect class="ci" x="{_num(x(low))}" y="{_num(mid - 5)}" '
                f'width="{_num(max(x(high) - x(low), 1.0))}" height="10" rx="3" '
                'fill="#0072B2" fill-opacity="0.3"/>'
            )
        parts.append(
            f'<circle class="estimate" cx="{_num(x(value))}" cy="{_num(mid)}" r="5" '
            'fill="#0072B2"/>'
        )
    body = "".join(parts)
    return Markup(
        f'<svg class="chart interval" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def line_chart(
    periods: Sequence[str],
    series: Sequence[Sequence[float]],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """Lines of values per period (one per series), with a y axis from 0 and period ticks.

    Args:
        periods: The x labels, in order (``"2026-W18"``); escaped.
        series: One sequence of values per line, each as long as ``periods``; NaN breaks a line.
        title: Accessible name of the chart (escaped).
        width: Width in px.
        height: Height in px.

    Returns:
        An ``<svg role="img">`` element; series ``i`` has colour :func:`series_color` ``(i)``.

    Raises:
        ValueError: If a series is not as long as ``periods``.
    """
    for index, values in enumerate(series):
        if len(values) != len(periods):
            raise ValueError(
                f"line_chart: series {index} has {len(values)} values for {len(periods)} "
                "periods. Give one value per period."
            )
    left, right, top, bottom = 36.0, 8.0, 8.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    finite = [v for values in series for v in values if math.isfinite(v)]
    top_value = _nice_ceiling(max(finite, default=0.0))

    def x(i: int) -> float:
        return left + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    parts: list[str] = []
    for tick in (0.0, top_value / 2, top_value):
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y(tick))}" x2="{_num(width - right)}" '
            f'y2="{_num(y(tick))}" stroke="#e3e3e3"/>'
            f'<text x="{_num(left - 4)}" y="{_num(y(tick) + 4)}" text-anchor="end" '
            f'font-size="10" fill="#555">{escape(_tick(tick))}</text>'
        )
    step = max(1, math.ceil(len(periods) / 8))
    for i in range(0, len(periods), step):
        parts.append(
            f'<text x="{_num(x(i))}" y="{_num(height - bottom + 14)}" text-anchor="middle" '
            f'font-size="10" fill="#555">{escape(periods[i])}</text>'
        )
    for index, values in enumerate(series):
        color = series_color(index)
        runs: list[list[str]] = [[]]
        for i, v in enumerate(values):
            if math.isfinite(v):
                runs[-1].append(f"{_num(x(i))},{_num(y(v))}")
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline class="series" data-series="{index}" points="{" ".join(run)}" '
                    f'fill="none" stroke="{color}" stroke-width="2"/>'
                )
            elif run:
                cx, cy = run[0].split(",")
                parts.append(
                    f'<circle class="series" data-series="{index}" cx="{cx}" cy="{cy}" r="2.5" '
                    f'fill="{color}"/>'
                )
    if not periods:
        parts.append(
            f'<text x="{_num(width / 2)}" y="{_num(height / 2)}" text-anchor="middle" '
            'font-size="12" fill="#777">no dated feedback</text>'
        )
    return Markup(
        f'<svg class="chart line" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def sparkline(values: Sequence[float], *, title: str, width: int = 96, height: int = 22) -> Markup:
    """A small line of ``values`` (scaled to its own maximum), for table cells.

    Args:
        values: Values in period order; NaN counts as 0.
        title: Accessible name (escaped).
        width: Width in px.
        height: Height in px.
    """
    clean = [v if math.isfinite(v) else 0.0 for v in values]
    peak = max(clean, default=0.0) or 1.0
    pad = 2.0
    if len(clean) > 1:
        points = " ".join(
            f"{_num(pad + (width - 2 * pad) * i / (len(clean) - 1))},"
            f"{_num(height - pad - (height - 2 * pad) * v / peak)}"
            for i, v in enumerate(clean)
        )
        body = f'<polyline points="{points}" fill="none" stroke="#0072B2" stroke-width="1.5"/>'
    else:
        body = ""
    return Markup(
        f'<svg class="chart spark" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def heat_color(log_ratio: float | None, *, significant: bool, limit: float = math.log(4)) -> str:
    """Background colour of a segment x theme cell from the log of its over-index ratio.

    Over-indexed cells (ratio > 1) are orange, under-indexed blue, saturating at ``limit``
    (a ratio of 4 or 1/4 by default); cells that are not significant are drawn paler.

    Args:
        log_ratio: ``log(ratio)``; ``None`` or NaN (not testable): light grey.
        significant: Whether the cell passed the test after FDR control.
        limit: ``|log_ratio|`` at full colour.

    Returns:
        A CSS ``rgb()`` colour.
    """
    if log_ratio is None or not math.isfinite(log_ratio):
        return "rgb(245,245,245)"
    strength = min(abs(log_ratio) / limit, 1.0) * (1.0 if significant else 0.35)
    target = (230, 97, 1) if log_ratio > 0 else (33, 102, 172)
    r, g, b = (round(255 + (c - 255) * strength) for c in target)
    return f"rgb({r},{g},{b})"


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= ``value`` (1 for 0 or less)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value - 1e-12:
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _tick(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value / 1000:g}k"
