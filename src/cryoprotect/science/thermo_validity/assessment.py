"""Deciding, per composition, whether the model's osmolality and melting point may be
returned as values, and otherwise which published bound holds and why (:func:`assess`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.thermo_validity.answers import (
    Answer,
    Assessment,
    Bound,
    mass_percent_in_water,
    short_source,
    weakest_provenance,
)
from cryoprotect.science.thermo_validity.phase_data import (
    AT_POINT_TOLERANCE_PERCENT,
    LIQUIDUS_METHOD,
    MONOTONIC_BOUND_METHOD,
    Relation,
    SolutePhaseData,
    Status,
    default_phase_boundaries,
)


def _c(value: float) -> str:
    return f"{value:.1f} °C"


def _pct(value: float) -> str:
    return f"{value:.3g} % w/w"


@dataclass(frozen=True)
class _Solute:
    params: thermo.VirialParameters
    molality: float
    molar_mass: float | None
    percent: float | None  # binary-equivalent % w/w; None without a molar mass
    phase: SolutePhaseData | None

    @property
    def name(self) -> str:
        return self.params.solute

    @property
    def above_range(self) -> bool:
        limit = self.params.valid_max_molality
        return limit is not None and self.molality > limit

    @property
    def range_unknown(self) -> bool:
        """Present in the solution, with coefficients that record no valid range."""
        return self.params.valid_max_molality is None and self.molality > 0.0

    @property
    def crystallises(self) -> bool:
        if self.phase is None or self.percent is None:
            return False
        eutectic = self.phase.eutectic
        if eutectic is not None:
            return self.percent > eutectic.mass_percent + AT_POINT_TOLERANCE_PERCENT
        onset = self.phase.crystallisation_onset_percent
        return onset is not None and self.percent >= onset - AT_POINT_TOLERANCE_PERCENT

    @property
    def in_eutectic_region(self) -> bool:
        if self.phase is None or self.percent is None or self.phase.eutectic is not None:
            return False
        onset = self.phase.crystallisation_onset_percent
        ice = self.phase.ice_points
        if onset is None or not ice:
            return False
        return ice[-1].mass_percent + AT_POINT_TOLERANCE_PERCENT < self.percent < onset


def _range_text(s: _Solute) -> str:
    limit = s.params.valid_max_molality
    assert limit is not None
    in_mass = ""
    if s.molar_mass is not None:
        in_mass = f" (0–{_pct(float(mass_percent_in_water(limit, s.molar_mass)))} in water)"
    return (
        f"outside the fitted range 0–{limit:.3g} mol/kg{in_mass} for {s.name} "
        f"({short_source(s.params.source)}): here {s.molality:.3g} mol/kg"
    )


def _unknown_range_text(s: _Solute) -> str:
    p = s.params
    checked = (
        "checked against their source"
        if p.verified
        else "not checked against published measurements"
    )
    return (
        f"no valid concentration range is recorded for the coefficients of {s.name} "
        f"(B = {p.b_kg_per_mol:g} kg/mol, C = {p.c_kg2_per_mol2:g} kg²/mol², {p.table}, "
        f"{p.provenance}, {checked}: {short_source(p.source)}), so nothing shows that the "
        f"model holds here ({s.molality:.3g} mol/kg)"
    )


def _edge_names(solutes: Sequence[_Solute]) -> str:
    """How the bound's composition differs from the solution's ("with X at the top of its
    fitted range and without Y")."""
    capped = [s.name for s in solutes if s.above_range]
    dropped = [s.name for s in solutes if s.range_unknown]
    parts = []
    if capped:
        parts.append(f"with {' and '.join(capped)} at the top of the fitted range")
    if dropped:
        parts.append(f"without {' and '.join(dropped)} (no validated coefficients)")
    return " and ".join(parts)


def _eutectic_description(phase: SolutePhaseData) -> str:
    eutectic = phase.eutectic
    if eutectic is not None:
        return (
            f"{_pct(eutectic.mass_percent)}, {_c(eutectic.temperature_c)}; "
            f"{short_source(eutectic.source)}"
        )
    first = phase.solute_side[0]
    ice = phase.ice_points
    if ice:
        return (
            f"between {ice[-1].mass_percent:g} and {first.mass_percent:g} % w/w; "
            f"{short_source(first.source)}"
        )
    return f"at or below {first.mass_percent:g} % w/w; {short_source(first.source)}"


def _edge_percent(s: _Solute) -> float | None:
    """Binary-equivalent % w/w at the top of a solute's fitted range (None if unknown)."""
    limit = s.params.valid_max_molality
    if limit is None or s.molar_mass is None or s.molar_mass <= 0:
        return None
    return float(mass_percent_in_water(limit, s.molar_mass))


def _ice_bounds(
    solutes: Sequence[_Solute], edge_c: float | None, edge_provenance: str
) -> list[Bound]:
    """Every upper bound on the ice melting point that holds for this composition.

    The model's value at the edge of the fitted range carries the fit's own error; where a
    published ice point of the capped solute is at least as concentrated as that edge, the
    measurement bounds the same composition better and the model's bound is left out.
    """
    bounds = _published_ice_bounds(solutes)
    capped = [s for s in solutes if s.above_range]
    dropped = [s for s in solutes if s.range_unknown]
    if edge_c is None or not (capped or dropped):
        return bounds
    if not dropped and len(capped) == 1 and _measured_at_or_past_edge(capped[0]):
        return bounds
    bounds.append(
        Bound(
            relation="below",
            value=edge_c,
            unit="°C",
            text=(
                f"melting point below {_c(edge_c)}: the model's value {_edge_names(solutes)}; "
                "adding solute only lowers the melting point"
            ),
            method=MONOTONIC_BOUND_METHOD,
            source="; ".join(
                f"{s.name}: {short_source(s.params.source)}" for s in (*capped, *dropped)
            ),
            provenance=edge_provenance,
            quantity="ice_melting_point",
        )
    )
    return bounds


def _measured_at_or_past_edge(s: _Solute) -> bool:
    """Whether a published ice point of ``s`` lies between its fitted edge and its composition."""
    edge = _edge_percent(s)
    if edge is None or s.phase is None or s.percent is None:
        return False
    return any(
        edge - AT_POINT_TOLERANCE_PERCENT
        <= p.mass_percent
        <= s.percent + AT_POINT_TOLERANCE_PERCENT
        for p in s.phase.ice_points
    )


def _published_ice_bounds(solutes: Sequence[_Solute]) -> list[Bound]:
    """Upper bounds on the ice melting point from published solid–liquid equilibria."""
    bounds: list[Bound] = []
    for s in solutes:
        if s.phase is None or s.percent is None or s.molality <= 0.0:
            continue
        below = [
            p
            for p in s.phase.ice_points
            if p.mass_percent <= s.percent + AT_POINT_TOLERANCE_PERCENT
        ]
        if below:
            p = below[-1]
            bounds.append(
                Bound(
                    relation="at_or_below",
                    value=p.temperature_c,
                    unit="°C",
                    text=(
                        f"melting point at or below {_c(p.temperature_c)}: the published freezing "
                        f"point of {_pct(p.mass_percent)} {s.name} ({short_source(p.source)}); "
                        "more solute only lowers it"
                    ),
                    method=MONOTONIC_BOUND_METHOD,
                    source=p.source,
                    provenance=p.provenance,
                    quantity="ice_melting_point",
                )
            )
        onset = s.phase.crystallisation_onset_percent
        anchor = s.phase.ice_bound_past_onset
        if (
            onset is not None
            and anchor is not None
            and s.percent >= onset - AT_POINT_TOLERANCE_PERCENT
        ):
            system = f"{s.name.lower()}–water eutectic"
            if anchor.kind == "eutectic":
                text = (
                    f"ice can coexist with this solution only below {_c(anchor.temperature_c)}, "
                    f"the {system} ({_pct(anchor.mass_percent)}; {short_source(anchor.source)})"
                )
            else:
                text = (
                    f"ice can coexist with this solution only below the {system}, which lies "
                    f"below {_c(anchor.temperature_c)} (the coldest published point of the "
                    f"{s.phase.solute_solid} liquidus, {_pct(anchor.mass_percent)}; "
                    f"{short_source(anchor.source)})"
                )
            bounds.append(
                Bound(
                    relation="below",
                    value=anchor.temperature_c,
                    unit="°C",
                    text=text,
                    method=LIQUIDUS_METHOD,
                    source=anchor.source,
                    provenance=anchor.provenance,
                    quantity="ice_melting_point",
                )
            )
    return bounds


def _strongest(bounds: Sequence[Bound]) -> Bound | None:
    """The lowest upper bound (a published one wins a tie)."""
    if not bounds:
        return None
    return min(bounds, key=lambda b: (b.value, b.provenance != "measured"))


def _solute_liquidus(s: _Solute, ice: Bound | None) -> Bound | None:
    """The published solute liquidus at this (binary) composition: at, between or above."""
    assert s.phase is not None and s.percent is not None
    side = s.phase.solute_side
    lo = [p for p in side if p.mass_percent <= s.percent + AT_POINT_TOLERANCE_PERCENT]
    hi = [p for p in side if p.mass_percent >= s.percent - AT_POINT_TOLERANCE_PERCENT]
    if not lo:
        return None
    low = lo[-1]
    solid = s.phase.solute_solid
    ice_text = f" {ice.text[0].upper()}{ice.text[1:]}." if ice is not None else ""
    if hi and abs(hi[0].mass_percent - low.mass_percent) < 1e-9:
        relation: Relation = "at"
        value, value_high = low.temperature_c, None
        text = (
            f"The solution is liquid above {_c(value)}; below it {solid} crystallises at "
            f"equilibrium (published liquidus at {_pct(low.mass_percent)}, "
            f"{short_source(low.source)})."
        )
        sources = [low.source]
    elif hi:
        high = hi[0]
        relation, value, value_high = "between", low.temperature_c, high.temperature_c
        text = (
            f"The liquidus ({solid} crystallising) lies between {_c(value)} and "
            f"{_c(high.temperature_c)}, the published points at {_pct(low.mass_percent)} and "
            f"{_pct(high.mass_percent)} ({short_source(low.source)})."
        )
        sources = [low.source, high.source]
    else:
        relation, value, value_high = "above", low.temperature_c, None
        text = (
            f"The liquidus ({solid} crystallising) lies above {_c(value)}, the published point "
            f"at {_pct(low.mass_percent)} ({short_source(low.source)})."
        )
        sources = [low.source]
    return Bound(
        relation=relation,
        value=value,
        value_high=value_high,
        unit="°C",
        text=text + ice_text,
        method=LIQUIDUS_METHOD,
        source=" | ".join(dict.fromkeys(sources)),
        provenance="measured" if all(p.provenance == "measured" for p in side) else "estimated",
        quantity="solute_liquidus",
    )


def _at(values: thermo.FloatArray | None, row: int) -> float | None:
    return None if values is None else float(values[row])


def _unknown_range_warning(p: thermo.VirialParameters) -> str:
    return (
        f"{p.solute}: no valid concentration range is recorded for these coefficients "
        f"({p.table}), so whether this composition is inside it is unknown"
    )


def assess(
    molality: ArrayLike,
    solutes: Sequence[str | thermo.VirialParameters],
    molar_masses_g_per_mol: Sequence[float | None],
    *,
    parameters: Mapping[str, thermo.VirialParameters] | None = None,
    phase_data: Mapping[str, SolutePhaseData] | None = None,
    ions: bool = False,
) -> Assessment:
    """Osmolality and ice melting point of N compositions, each with what may be said of it.

    The model runs vectorised over all compositions (twice: as given and with every
    solute capped at its fitted range, for the bounds); the verdict and its sentences are
    assembled per composition.

    Args:
        molality: mol/kg water, shape ``(n_solutes,)`` or ``(N, n_solutes)``.
        solutes: names or :class:`thermo.VirialParameters`, in column order.
        molar_masses_g_per_mol: per solute (``None`` when unknown: no % w/w checks).
        parameters: virial table for names (default: the shipped tables).
        phase_data: phase boundaries keyed by lower-cased solute name (default: shipped).
        ions: electrolytes by the ion model (:func:`thermo.with_ion_model`).

    Returns:
        The raw model result and one osmolality and one melting-point answer per composition.

    Raises:
        ValidationError: shapes disagree (see :func:`thermo.osmolality`).
    """
    result = thermo.solution_thermo(molality, solutes, parameters=parameters, ions=ions)
    params = result.osmolality.parameters
    if len(molar_masses_g_per_mol) != len(params):
        raise ValidationError("one molar mass per solute is required", field="molar_masses")
    table = phase_data if phase_data is not None else default_phase_boundaries()
    m2d = np.atleast_2d(np.asarray(molality, dtype=np.float64))
    # The bound's composition: each solute capped at its range, and solutes whose
    # coefficients record no range left out (nothing is known of them but that they lower
    # the melting point and raise the osmolality).
    limits = np.array(
        [p.valid_max_molality if p.valid_max_molality is not None else 0.0 for p in params]
    )
    capped = thermo.solution_thermo(np.minimum(m2d, limits), list(params), ions=ions)
    pi = np.atleast_1d(result.osmolality_osmol_per_kg)
    tm_k = np.atleast_1d(result.melting_point_k)
    pi_edge = np.atleast_1d(capped.osmolality_osmol_per_kg)
    tm_edge_c = np.atleast_1d(capped.melting_point_c)
    percents: list[thermo.FloatArray | None] = [
        None if mm is None or mm <= 0 else mass_percent_in_water(m2d[:, i], mm)
        for i, mm in enumerate(molar_masses_g_per_mol)
    ]
    provenance = weakest_provenance([p.provenance for p in params])
    # The range notes are rephrased per answer (reason / warning); the rest are kept.
    base_warnings = tuple(
        w
        for w in result.warnings
        if "range is not recorded" not in w and "above the fitted range" not in w
    )
    unknown = [p for p in params if p.valid_max_molality is None]
    unknown_warnings = tuple(_unknown_range_warning(p) for p in unknown)

    osm_answers: list[Answer] = []
    mp_answers: list[Answer] = []
    verdicts: list[tuple[bool | None, ...]] = []
    for row in range(m2d.shape[0]):
        rows = [
            _Solute(
                params=p,
                molality=float(m2d[row, i]),
                molar_mass=molar_masses_g_per_mol[i],
                percent=_at(percents[i], row),
                phase=table.get(p.solute.lower()),
            )
            for i, p in enumerate(params)
        ]
        verdicts.append(
            tuple(None if s.params.valid_max_molality is None else not s.above_range for s in rows)
        )
        outside = [s for s in rows if s.above_range]
        unranged = [s for s in rows if s.range_unknown]
        osm_answers.append(
            _osmolality_answer(
                float(pi[row]),
                float(pi_edge[row]),
                outside,
                unranged,
                provenance,
                base_warnings + unknown_warnings,
            )
        )
        mp_answers.append(
            _melting_answer(
                float(tm_k[row]),
                float(tm_edge_c[row]) if outside or unranged else None,
                rows,
                provenance,
                base_warnings,
                unknown_warnings,
            )
        )
    return Assessment(
        thermo=result,
        osmolality=tuple(osm_answers),
        melting_point=tuple(mp_answers),
        solute_within_range=tuple(verdicts),
    )


def _osmolality_answer(
    value: float,
    edge: float,
    outside: Sequence[_Solute],
    unranged: Sequence[_Solute],
    provenance: str,
    warnings: tuple[str, ...],
) -> Answer:
    if not (outside or unranged) and not (np.isfinite(value) and value >= 0.0):
        reason = (
            "the model gives no osmolality here (it is not positive), so this composition is "
            "outside where the coefficients hold"
        )
        return Answer(
            None, "outside_range", False, reason, None, thermo.VIRIAL_METHOD, provenance, warnings
        )
    if outside or unranged:
        rows = [*outside, *unranged]
        reason = "; ".join(
            [_range_text(s) for s in outside] + [_unknown_range_text(s) for s in unranged]
        )
        bound = Bound(
            relation="above",
            value=edge,
            unit="osmol/kg",
            text=(
                f"osmolality above {edge:.3g} osmol/kg: the model's value {_edge_names(rows)}; "
                "osmolality only rises as solute is added"
            ),
            method=MONOTONIC_BOUND_METHOD,
            source="; ".join(f"{s.name}: {short_source(s.params.source)}" for s in rows),
            provenance=provenance,
            quantity="osmolality",
        )
        status: Status = "outside_range" if outside else "range_unknown"
        within = False if outside else None
        return Answer(
            None, status, within, reason, bound, thermo.VIRIAL_METHOD, provenance, warnings
        )
    return Answer(
        value, "within_range", True, None, None, thermo.VIRIAL_METHOD, provenance, warnings
    )


def _melting_answer(
    value_k: float,
    edge_c: float | None,
    rows: Sequence[_Solute],
    provenance: str,
    base_warnings: tuple[str, ...],
    unknown_warnings: tuple[str, ...],
) -> Answer:
    method = thermo.MELTING_POINT_METHOD
    present = [s for s in rows if s.molality > 0.0]
    binary = len(present) == 1
    crystallising = [s for s in rows if s.crystallises]
    region = [s for s in rows if s.in_eutectic_region]
    outside = [s for s in rows if s.above_range]
    unranged = [s for s in rows if s.range_unknown]
    warnings = base_warnings + unknown_warnings
    if not (crystallising or region or outside or unranged) and not np.isfinite(value_k):
        reason = (
            "the model gives no melting point here (its osmolality is not positive), so this "
            "composition is outside where the coefficients hold"
        )
        return Answer(None, "outside_range", False, reason, None, method, provenance, warnings)
    if not (crystallising or region or outside or unranged):
        return Answer(value_k, "within_range", True, None, None, method, provenance, warnings)
    ice = _strongest(_ice_bounds(rows, edge_c, provenance))
    ice_c = None if ice is None else ice.value
    notes = tuple(_range_text(s) for s in outside) + warnings
    if crystallising:
        reasons = []
        for s in crystallising:
            assert s.phase is not None and s.percent is not None
            desc = _eutectic_description(s.phase)
            if binary:
                reasons.append(
                    f"{s.name} crystallises: the liquidus here is the solute's "
                    f"({s.phase.solute_solid}), not ice's. At {_pct(s.percent)} the solution is "
                    f"past the {s.name.lower()}–water eutectic ({desc}), so no ice can form above the "
                    "eutectic temperature"
                )
            else:
                reasons.append(
                    f"{s.name} may crystallise: at {_pct(s.percent)} in water it is past the "
                    f"{s.name.lower()}–water eutectic ({desc}); the phase diagram of this multi-solute "
                    "solution is not modelled, so the ice melting point is unknown"
                )
        bound = _solute_liquidus(crystallising[0], ice) if binary else ice
        return Answer(
            None,
            "solute_crystallises",
            False,
            "; ".join(reasons),
            bound or ice,
            method,
            provenance,
            notes,
            ice_c,
        )
    if region:
        reasons = []
        for s in region:
            assert s.phase is not None and s.percent is not None
            last, first = s.phase.ice_points[-1], s.phase.solute_side[0]
            reasons.append(
                f"{s.name} at {_pct(s.percent)} in water lies between the last published ice "
                f"point ({_pct(last.mass_percent)}, {_c(last.temperature_c)}) and the first "
                f"published {s.phase.solute_solid} point ({_pct(first.mass_percent)}, "
                f"{_c(first.temperature_c)}; {short_source(first.source)}): the eutectic lies in "
                f"between, so whether ice or {s.phase.solute_solid} forms first is not known"
            )
        return Answer(
            None,
            "eutectic_region",
            False,
            "; ".join(reasons),
            ice,
            method,
            provenance,
            notes,
            ice_c,
        )
    reason = "; ".join(
        [_range_text(s) for s in outside] + [_unknown_range_text(s) for s in unranged]
    )
    status: Status = "outside_range" if outside else "range_unknown"
    within = False if outside else None
    return Answer(None, status, within, reason, ice, method, provenance, warnings, ice_c)
