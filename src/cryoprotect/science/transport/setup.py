"""What one simulation and each of its steps hold constant: the permeating solutes in
state-vector order, checked steps, effective (saturable) permeabilities, step rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType, Permeability
from cryoprotect.science.transport.media import _osmolality_of, lp_at, ps_at
from cryoprotect.science.transport.state import (
    GAS_CONSTANT_L_ATM_PER_MOL_K,
    INTRACELLULAR_SOLUTE,
    MAX_TEMPERATURE_C,
    WATER_DENSITY_KG_PER_L,
    ZERO_CELSIUS_K,
    FloatArray,
    Model,
    State,
    Step,
    _molar_volume_um3_per_fmol,
)

# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Solutes:
    """The permeating solutes of one simulation, in state-vector order."""

    names: tuple[str, ...]
    permeabilities: tuple[Permeability, ...]
    molar_volume: FloatArray  # µm³/fmol
    saturation: FloatArray  # half-saturation molality K per solute (inf: simple diffusion)
    k: FloatArray  # intracellular virial arrays: [ideal non-permeating, CPA...]
    b: FloatArray
    c: FloatArray


@dataclass(frozen=True)
class _StepSetup:
    """Everything constant during one step."""

    lp_term: float  # Lp·A·R·T, µm³/s per osmol/kg
    ps_area: FloatArray  # Ps·A, µm³/s
    m_e: FloatArray  # extracellular molality of each permeating solute
    pi_e: float
    pi_e_cpa: FloatArray  # each CPA's share of π_e (KK only)
    sigma: FloatArray  # reflection coefficients (1 for 2p)
    kk: bool


def _canonical(cell: CellType, name: str) -> str | None:
    permeability = cell.permeability(name)
    return permeability.solute if permeability is not None else None


def _solutes(
    cell: CellType,
    steps: Sequence[Step],
    initial: State,
    parameters: Mapping[str, thermo.VirialParameters] | None,
    notes: list[str],
) -> _Solutes:
    names: list[str] = []
    for source in [*[s.solutes for s in steps], initial.solute_amount_fmol]:
        for name in source:
            canonical = _canonical(cell, name)
            if canonical is not None and canonical not in names:
                names.append(canonical)
    permeabilities = tuple(p for p in (cell.permeability(n) for n in names) if p is not None)
    volumes = []
    for name in names:
        volume, note = _molar_volume_um3_per_fmol(name)
        volumes.append(volume)
        if note:
            notes.append(note)
    params = (
        thermo.ideal_parameters(INTRACELLULAR_SOLUTE),
        *thermo.resolve_solutes(names, parameters=parameters),
    )
    return _Solutes(
        names=tuple(names),
        permeabilities=permeabilities,
        molar_volume=np.array(volumes, dtype=np.float64),
        saturation=np.array(
            [
                np.inf
                if p.saturation_molality_mol_per_kg is None
                else p.saturation_molality_mol_per_kg
                for p in permeabilities
            ],
            dtype=np.float64,
        ),
        k=np.array([p.k_diss for p in params], dtype=np.float64),
        b=np.array([p.b_kg_per_mol for p in params], dtype=np.float64),
        c=np.array([p.c_kg2_per_mol2 for p in params], dtype=np.float64),
    )


def _check_steps(steps: Sequence[Step]) -> None:
    if not steps:
        raise ValidationError("at least one step is required", field="steps")
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not (math.isfinite(step.duration_s) and step.duration_s > 0):
            raise ValidationError(
                "duration_s must be a positive number", field=f"{where}.duration_s"
            )
        if not math.isfinite(step.temperature_c) or step.temperature_c > MAX_TEMPERATURE_C:
            raise ValidationError(
                f"temperature_c must be finite and ≤ {MAX_TEMPERATURE_C:g} °C",
                field=f"{where}.temperature_c",
            )
        for name, value in step.solutes.items():
            if not isinstance(name, str) or not name.strip():
                raise ValidationError("solute names must be non-empty", field=f"{where}.solutes")
            if not (math.isfinite(value) and value >= 0):
                raise ValidationError(
                    f"molality of {name} must be a finite number ≥ 0",
                    field=f"{where}.solutes.{name}",
                )


def effective_ps(permeability: Permeability, ps_um_per_s: float, m_e: float, m_i: float) -> float:
    """Effective permeability of a (possibly saturable) flux at given molalities, µm/s.

    Args:
        permeability: supplies the half-saturation constant K (``None``: no saturation).
        ps_um_per_s: Ps0 at the temperature wanted (see :func:`ps_at`).
        m_e: extracellular molality of the solute, mol/kg.
        m_i: intracellular molality, mol/kg.

    Returns:
        Ps0 / ((1 + m_e/K)(1 + m_i/K)), or Ps0 without K.
    """
    k = permeability.saturation_molality_mol_per_kg
    if k is None:
        return ps_um_per_s
    return ps_um_per_s / ((1.0 + m_e / k) * (1.0 + m_i / k))


def _setup_step(
    cell: CellType,
    step: Step,
    solutes: _Solutes,
    model: Model,
    parameters: Mapping[str, thermo.VirialParameters] | None,
    notes: list[str],
) -> _StepSetup:
    temperature_k = step.temperature_c + ZERO_CELSIUS_K
    area = cell.surface_area_um2
    lp_um_per_s_atm = lp_at(cell, step.temperature_c) / 60.0
    rt = GAS_CONSTANT_L_ATM_PER_MOL_K * temperature_k * WATER_DENSITY_KG_PER_L
    m_e = np.zeros(len(solutes.names))
    non_permeating: dict[str, float] = {}
    for name, value in step.solutes.items():
        canonical = _canonical(cell, name)
        if canonical is None:
            non_permeating[name] = non_permeating.get(name, 0.0) + float(value)
        else:
            m_e[solutes.names.index(canonical)] += float(value)
    everything = {**non_permeating, **dict(zip(solutes.names, m_e.tolist(), strict=True))}
    pi_e, warnings = _osmolality_of(everything, parameters)
    notes.extend(warnings)
    kk = model == "kk"
    sigma = np.ones(len(solutes.names))
    pi_e_cpa = np.zeros(len(solutes.names))
    if kk:
        for i, permeability in enumerate(solutes.permeabilities):
            if permeability.reflection_coefficient is None:
                notes.append(f"{permeability.solute}: no reflection coefficient; σ = 1 used")
            else:
                sigma[i] = permeability.reflection_coefficient
        pi_np = _osmolality_of(non_permeating, parameters)[0]
        total = float(m_e.sum())
        if total > 0:
            pi_e_cpa = (pi_e - pi_np) * m_e / total
    ps = np.array([ps_at(cell, p, step.temperature_c) for p in solutes.permeabilities])
    return _StepSetup(
        lp_term=lp_um_per_s_atm * area * rt,
        ps_area=ps * area if ps.size else np.zeros(0),
        m_e=m_e,
        pi_e=pi_e,
        pi_e_cpa=pi_e_cpa,
        sigma=sigma,
        kk=kk,
    )
