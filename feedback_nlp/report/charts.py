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
    "small_multiple",
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
    width: int = 320,
    height: int = 46,
) -> Markup:
    """A horizontal scale from ``lower`` to ``upper`` with the estimate and its interval.

    The scale's ends (and 0 when it lies inside) are labelled under the axis.

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
    pad = 14.0
    span = width - 2 * pad

    def x(v: float) -> float:
        return pad + span * (min(max(v, lower), upper) - lower) / (upper - lower)

    mid = (height - 14) / 2 + 2
    parts = [
        f'<line x1="{_num(pad)}" y1="{_num(mid)}" x2="{_num(width - pad)}" y2="{_num(mid)}" '
        'stroke="#bbb" stroke-width="2"/>'
    ]
    ticks = [lower, 0.0, upper] if lower < 0 < upper else [lower, upper]
    for tick in ticks:
        parts.append(
            f'<text x="{_num(x(tick))}" y="{_num(height - 2)}" text-anchor="middle" '
            f'font-size="10" fill="#555">{escape(_tick(tick))}</text>'
        )
    if lower < 0 < upper:
        parts.append(
            f'<line x1="{_num(x(0))}" y1="2" x2="{_num(x(0))}" y2="{_num(mid + 10)}" '
            'stroke="#888" stroke-dasharray="2 2"/>'
        )
    if value is not None and math.isfinite(value):
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
            parts.append(
                f'<rect class="ci" x="{_num(x(low))}" y="{_num(mid - 8)}" '
                f'width="{_num(max(x(high) - x(low), 1.0))}" height="16" rx="4" '
                'fill="#0072B2" fill-opacity="0.3"/>'
            )
        parts.append(
            f'<circle class="estimate" cx="{_num(x(value))}" cy="{_num(mid)}" r="7" '
            'fill="#0072B2" stroke="#fff" stroke-width="1.5"/>'
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


def sparkline(values: Sequence[float], *, title: str, width: int = 140, height: int = 34) -> Markup:
    """A small area line of ``values`` (scaled to its own maximum), for table cells.

    The peak period is marked with a dot, so a spike reads at a glance.

    Args:
        values: Values in period order; NaN counts as 0.
        title: Accessible name (escaped).
        width: Width in px.
        height: Height in px.
    """
    clean = [v if math.isfinite(v) else 0.0 for v in values]
    peak = max(clean, default=0.0) or 1.0
    pad = 3.0
    if len(clean) > 1:
        coords = [
            (
                pad + (width - 2 * pad) * i / (len(clean) - 1),
                height - pad - (height - 2 * pad) * v / peak,
            )
            for i, v in enumerate(clean)
        ]
        points = " ".join(f"{_num(cx)},{_num(cy)}" for cx, cy in coords)
        base = _num(height - pad)
        area = f"{_num(coords[0][0])},{base} {points} {_num(coords[-1][0])},{base}"
        top_x, top_y = coords[max(range(len(clean)), key=lambda i: clean[i])]
        body = (
            f'<polygon points="{area}" fill="#0072B2" fill-opacity="0.15"/>'
            f'<polyline points="{points}" fill="none" stroke="#0072B2" stroke-width="1.75"/>'
            f'<circle cx="{_num(top_x)}" cy="{_num(top_y)}" r="2.5" fill="#0072B2"/>'
        )
    else:
        body = ""
    return Markup(
        f'<svg class="chart spark" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def small_multiple(
    periods: Sequence[str],
    values: Sequence[float],
    *,
    y_max: float,
    title: str,
    marked: Sequence[int] = (),
    color: str = PALETTE[0],
    width: int = 250,
    height: int = 96,
) -> Markup:
    """One panel of a small-multiples chart: one series on a y scale shared by every panel.

    Args:
        periods: The x labels in order; the first and the last are drawn (escaped).
        values: One value per period; NaN counts as 0.
        y_max: The top of the shared y scale (rounded up to a nice number).
        title: Accessible name (escaped).
        marked: Indexes of periods to mark with a dot (spikes).
        color: Line and area colour.
        width: Width in px.
        height: Height in px.

    Raises:
        ValueError: If ``values`` is not as long as ``periods``.
    """
    if len(values) != len(periods):
        raise ValueError(
            f"small_multiple: {len(values)} values for {len(periods)} periods. "
            "Give one value per period."
        )
    left, right, top, bottom = 26.0, 6.0, 6.0, 16.0
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_ceiling(y_max)
    clean = [v if math.isfinite(v) else 0.0 for v in values]

    def x(i: int) -> float:
        return left + (plot_w * i / (len(clean) - 1) if len(clean) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - min(v, top_value) / top_value)

    parts = [
        f'<line x1="{_num(left)}" y1="{_num(y(0))}" x2="{_num(width - right)}" '
        f'y2="{_num(y(0))}" stroke="#ccc"/>'
        f'<line x1="{_num(left)}" y1="{_num(y(top_value))}" x2="{_num(width - right)}" '
        f'y2="{_num(y(top_value))}" stroke="#eee"/>'
        f'<text x="{_num(left - 3)}" y="{_num(y(top_value) + 4)}" text-anchor="end" '
        f'font-size="10" fill="#555">{escape(_tick(top_value))}</text>'
        f'<text x="{_num(left - 3)}" y="{_num(y(0) + 3)}" text-anchor="end" font-size="10" '
        'fill="#555">0</text>'
    ]
    if clean:
        points = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in enumerate(clean))
        base = _num(y(0))
        parts.append(
            f'<polygon points="{_num(x(0))},{base} {points} {_num(x(len(clean) - 1))},{base}" '
            f'fill="{color}" fill-opacity="0.15"/>'
            f'<polyline class="series" points="{points}" fill="none" stroke="{color}" '
            'stroke-width="1.75"/>'
        )
        for i in marked:
            if 0 <= i < len(clean):
                parts.append(
                    f'<circle class="spike" cx="{_num(x(i))}" cy="{_num(y(clean[i]))}" r="3.5" '
                    'fill="#D55E00"/>'
                )
        ends = [(0, "start")] + ([(len(clean) - 1, "end")] if len(clean) > 1 else [])
        for i, anchor in ends:
            parts.append(
                f'<text x="{_num(x(i))}" y="{_num(height - 3)}" text-anchor="{anchor}" '
                f'font-size="10" fill="#555">{escape(periods[i])}</text>'
            )
    return Markup(
        f'<svg class="chart multiple" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
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
