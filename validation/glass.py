"""Published vs computed glass and vitrification numbers: Tg, Tg′, CCR and CWR.

Issue 13 (item 7, glass part; Targets: Tg′ of glycerol, DMSO, EG, PG, sucrose and trehalose
solutions within 5 K of cited values; named solutions' CCR/CWR within a factor of 2 of their
published values, with the spread of the published values shown).

What "computed" means here, per section:
  * tg_prime: the headline Tg′ the API gives for the solute (the mean of every published
    value in science/params/tg_prime_published.csv), against EACH published value, so the
    spread between sources shows (glycerol: 164 K Inaba & Andersson 2007, 170 K Zhao 2015).
  * tg: the Gordon–Taylor Tg of a homogeneous solution against a measured Tg (glycerol 76 %
    w/w; note its k was derived from that same point, so this row checks the arithmetic,
    not a prediction).
  * ccr / cwr: the rate the API gives (named solutions: the published value returned
    verbatim; binary solutes: log-linear interpolation of the published points, which
    reproduces each point exactly) against each published value. These rows therefore show
    the spread of sources; they are not an independent test of a predictive model.

A solute or solution with no published value in the tables gets a row with published and
computed null and passes null ("no data"), so the gaps are printed, never hidden.

Usage: python validation/glass.py
"""

from __future__ import annotations

from typing import Any

from cryoprotect.science import glass, vitrification

TG_PRIME_TARGET_K = 5.0
RATE_TARGET_FACTOR = 2.0
#: The solutes and solutions the issue names.
TG_PRIME_SOLUTES = (
    "Glycerol",
    "Dimethyl sulfoxide",
    "Ethylene glycol",
    "Propylene glycol",
    "Sucrose",
    "Trehalose",
)
NAMED_SOLUTIONS = ("DP6", "VS55", "M22")


def _row(
    section: str,
    system: str,
    source: str,
    published: float | None,
    computed: float | None,
    unit: str,
    target: str,
    passes: bool | None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "section": section,
        "system": system,
        "source": source,
        "published": published,
        "computed": computed,
        "unit": unit,
        "target": target,
        "passes": passes,
        **extra,
    }


def tg_prime_rows() -> list[dict[str, Any]]:
    rows = []
    target = f"|computed − published| ≤ {TG_PRIME_TARGET_K:g} K"
    for solute in TG_PRIME_SOLUTES:
        found = vitrification.tg_prime(solute)
        if found is None:
            rows.append(
                _row(
                    "tg_prime",
                    solute,
                    "no published Tg′ recorded (none found in the sources searched)",
                    None,
                    None,
                    "K",
                    target,
                    None,
                )
            )
            continue
        for p in found.published:
            error = abs(found.value_k - p.tg_prime_k)
            rows.append(
                _row(
                    "tg_prime",
                    solute,
                    p.source,
                    p.tg_prime_k,
                    found.value_k,
                    "K",
                    target,
                    error <= TG_PRIME_TARGET_K,
                    spread=[found.low_k, found.high_k],
                    verified=p.verified,
                )
            )
    return rows


def tg_rows() -> list[dict[str, Any]]:
    rows = []
    for m in glass.load_measured_solution_properties():
        if m.property != "glass_transition_temperature" or "Glycerol" not in m.solution:
            continue
        w = float(m.solution.split("%")[0].split()[-1]) / 100.0
        computed = float(glass.solution_tg([[w]], ["Glycerol"]).tg_k[0])
        rows.append(
            _row(
                "tg",
                m.solution,
                m.source,
                m.value,
                computed,
                "K",
                "|computed − published| ≤ 5 K (k derived from this point: arithmetic check)",
                abs(computed - m.value) <= 5.0,
                verified=m.verified,
            )
        )
    return rows


def rate_rows() -> list[dict[str, Any]]:
    rows = []
    target = f"within a factor of {RATE_TARGET_FACTOR:g}"
    for quantity, section in ((vitrification.CCR, "ccr"), (vitrification.CWR, "cwr")):
        for name in NAMED_SOLUTIONS:
            answer = vitrification.named_solution_rate(name, quantity)
            published = [
                m
                for m in glass.load_measured_solution_properties()
                if m.solution == name and m.property == quantity
            ]
            if not published:
                rows.append(
                    _row(section, name, "no published value", None, None, "°C/min", target, None)
                )
            values = [m.value for m in published]
            for m in published:
                computed = answer.value_c_per_min
                ratio = None if computed is None else max(computed / m.value, m.value / computed)
                rows.append(
                    _row(
                        section,
                        name,
                        m.source,
                        m.value,
                        computed,
                        "°C/min",
                        target,
                        None if ratio is None else ratio <= RATE_TARGET_FACTOR,
                        spread=[min(values), max(values)],
                        n_sources=len(values),
                        verified=m.verified,
                    )
                )
        for first in vitrification.rate_table_solutes():
            if first.quantity != quantity:
                continue
            for p in vitrification.published_rate_points(first.solute, quantity):
                answer = vitrification.critical_rate(p.solute, quantity, p.mass_fraction)
                computed = answer.value_c_per_min
                ratio = (
                    None
                    if computed is None
                    else max(computed / p.value_c_per_min, p.value_c_per_min / computed)
                )
                rows.append(
                    _row(
                        section,
                        f"{p.solute} {p.mass_fraction * 100:g} % w/w",
                        p.source,
                        p.value_c_per_min,
                        computed,
                        "°C/min",
                        target,
                        None if ratio is None else ratio <= RATE_TARGET_FACTOR,
                        verified=p.verified,
                    )
                )
    return rows


def rows() -> list[dict[str, Any]]:
    """Every published vs computed row (keys: section, system, source, published, computed,
    unit, target, passes; passes is None where there is no published value)."""
    return tg_prime_rows() + tg_rows() + rate_rows()


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def main() -> None:
    print("Glass transition and vitrification: published vs computed")
    for row in rows():
        verdict = {True: "pass", False: "FAIL", None: "no data"}[row["passes"]]
        spread = row.get("spread")
        spread_text = f"  spread {spread[0]:.4g}–{spread[1]:.4g}" if spread else ""
        flag = "" if row.get("verified", True) else "  (unverified source)"
        print(
            f"{row['section']:8s} {row['system']:28s} published {_fmt(row['published']):>9s} "
            f"computed {_fmt(row['computed']):>9s} {row['unit']:7s} {verdict:7s}"
            f"{spread_text}{flag}\n         source: {row['source'][:110]}"
        )


if __name__ == "__main__":
    main()
