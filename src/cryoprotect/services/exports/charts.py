"""The charts of the PDF reports, drawn server-side as SVG by matplotlib (its object API:
no pyplot state, no display backend) from the record's own numbers, with axis units."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure

from cryoprotect.services.exports.tables import number

_SIZE_IN = (7.2, 2.6)
_MAX_SERIES = 8
#: Text sizes for a chart 7 inches wide on an A4 page (pt).
_SMALL = rc_context({"font.size": 7.0, "legend.fontsize": 6.0, "svg.hashsalt": "cryoprotect"})


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _figure(panels: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=_SIZE_IN)
    fig.set_layout_engine("tight")
    axes = fig.subplots(1, panels)
    return fig, axes


def _exposure_series(results: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """Viability (%) against exposure time (min), one series per exposure composition."""
    series: dict[str, list[tuple[float, float]]] = {}
    for r in results:
        exposure = r.get("exposure") or {}
        t, v = number(exposure.get("time_s")), number(r.get("value"))
        if t is None or v is None:
            continue
        molality = exposure.get("molality_mol_per_kg") or {}
        label = " + ".join(f"{k} {m:g}" for k, m in molality.items()) + " mol/kg"
        series.setdefault(label, []).append((t / 60.0, v))
    return series


def _by_condition(
    results: Sequence[Mapping[str, Any]], labels: Mapping[str, str]
) -> dict[str, tuple[float, float]]:
    """Numeric results grouped by measure, unit and time point: the mean and, for one
    result its recorded SD, for several the SD between them."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for r in results:
        name = labels.get(r["measure"], r["measure"])
        if r.get("time_point_h") is not None:
            name += f"\n{r['time_point_h']:g} h"
        grouped.setdefault(name, []).append(r)
    out = {}
    for name, rows in grouped.items():
        values = [float(r["value"]) for r in rows]
        mean = sum(values) / len(values)
        if len(values) == 1:
            spread = number(rows[0].get("sd")) or 0.0
        else:
            spread = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
            name += f"\n(n = {len(values)})"
        out[name] = (mean, spread)
    return out


@_SMALL
def experiment_chart(results: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str | None:
    """Toxicity data: viability vs exposure time per composition; otherwise each numeric
    result (mean ± SD) by measure and time point. None when no result is a number."""
    series = _exposure_series(results)
    fig, ax = _figure()
    if series:
        for label, points in list(series.items())[:_MAX_SERIES]:
            by_time: dict[float, list[float]] = {}
            for t, v in points:
                by_time.setdefault(t, []).append(v)
            times = sorted(by_time)
            means = [sum(by_time[t]) / len(by_time[t]) for t in times]
            (line,) = ax.plot(times, means, lw=1, label=f"{label} (mean)")
            ax.plot(*zip(*points, strict=True), "o", ms=2.5, color=line.get_color())
        ax.set_xlabel("Exposure time (min)")
        ax.set_ylabel("Viability (%)")
        ax.legend(fontsize=6, ncol=2, frameon=False)
        return _svg(fig)
    numeric = [
        r
        for r in results
        if not isinstance(r.get("value"), bool) and number(r.get("value")) is not None
    ]
    if not numeric:
        return None
    groups = _by_condition(numeric, labels)
    names = list(groups)
    values = [g[0] for g in groups.values()]
    errors = [g[1] for g in groups.values()]
    ax.bar(range(len(values)), values, yerr=errors, capsize=3, color="#4c78a8")
    ax.set_xticks(range(len(values)), names, fontsize=6)
    units = sorted({r.get("unit") or "" for r in numeric})
    ax.set_ylabel(f"Result ({', '.join(u for u in units if u) or 'as recorded'})")
    if units == ["%"]:
        ax.set_ylim(0, max(100.0, max(v + e for v, e in zip(values, errors, strict=True))))
    return _svg(fig)


@_SMALL
def protocol_chart(chart: Mapping[str, Any]) -> str | None:
    """Cell volume (V/V_iso, with the limits) and intracellular molality against time."""
    times = [t / 60.0 for t in chart.get("time_s") or []]
    volume = chart.get("volume_fraction") or []
    if not times or len(volume) != len(times):
        return None
    fig, (left, right) = _figure(2)
    left.plot(times, volume, color="#4c78a8")
    limits = chart.get("limits") or {}
    for key in ("min_volume_fraction", "max_volume_fraction"):
        if number(limits.get(key)) is not None:
            left.axhline(float(limits[key]), color="#e45756", ls="--", lw=0.8)
    left.set_xlabel("Time (min)")
    left.set_ylabel("Cell volume (V/V_iso)")
    for name, values in (chart.get("intracellular_molality") or {}).items():
        if len(values) == len(times):
            right.plot(times, values, label=name)
    right.set_xlabel("Time (min)")
    right.set_ylabel("Intracellular molality (mol/kg)")
    right.legend(fontsize=6, frameon=False)
    return _svg(fig)


@_SMALL
def cocktail_chart(points: Sequence[Mapping[str, Any]]) -> str | None:
    """The trade-off: surviving fraction (with its band) against vitrification margin."""
    xs, ys, lows, highs, unit = [], [], [], [], ""
    for p in points:
        vitrification, prediction = p.get("vitrification") or {}, p.get("prediction") or {}
        x, y = number(vitrification.get("margin")), number(prediction.get("surviving_fraction"))
        if x is None or y is None:
            continue
        band = prediction.get("band") or {}
        xs.append(x)
        ys.append(y)
        lows.append(y - (number(band.get("low")) or y))
        highs.append((number(band.get("high")) or y) - y)
        unit = vitrification.get("unit") or unit
    if not xs:
        return None
    fig, ax = _figure()
    ax.errorbar(xs, ys, yerr=[lows, highs], marker="o", capsize=3, color="#4c78a8")
    ax.set_xlabel(f"Vitrification margin ({unit or 'as the criterion'})")
    ax.set_ylabel("Surviving fraction (0–1)")
    return _svg(fig)
