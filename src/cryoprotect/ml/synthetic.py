"""Synthetic formulation data with a known answer, for tests and benchmarks.

This module owns one generator: glycerol and sucrose solutions (mol/kg, so no density
estimate is involved) whose target is a known smooth function of the composition plus
Gaussian noise of known standard deviation, arranged in groups that may share an offset.
A model's errors and a conformal interval's coverage can then be checked against the
truth instead of against another model.
"""

from __future__ import annotations

import numpy as np

from cryoprotect.ml.datasets import Component, Dataset, DatasetRow

SYNTHETIC_TARGET = "synthetic_response"


def true_response(glycerol_mol_per_kg: float, sucrose_mol_per_kg: float) -> float:
    """The noise-free response: 20 + 12·m_gly − 2·m_gly² + 30·m_suc (arbitrary units)."""
    g, s = glycerol_mol_per_kg, sucrose_mol_per_kg
    return 20.0 + 12.0 * g - 2.0 * g * g + 30.0 * s


def make_synthetic_dataset(
    *,
    n_groups: int = 40,
    rows_per_group: int = 10,
    noise_sd: float = 3.0,
    group_sd: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """Glycerol (0–3 mol/kg) + sucrose (0–0.5 mol/kg) rows with y = f(x) + N(0, σ²).

    Args:
        n_groups: number of groups (e.g. sources).
        rows_per_group: rows in each group.
        noise_sd: σ of the row noise.
        group_sd: σ of a per-group offset (0: groups are labels only).
        seed: random seed.

    Returns:
        A dataset whose target ``synthetic_response`` has known noise.
    """
    rng = np.random.default_rng(seed)
    rows: list[DatasetRow] = []
    for g in range(n_groups):
        offset = rng.normal(0.0, group_sd) if group_sd > 0 else 0.0
        for j in range(rows_per_group):
            gly = float(rng.uniform(0.0, 3.0))
            suc = float(rng.uniform(0.0, 0.5))
            y = true_response(gly, suc) + offset + float(rng.normal(0.0, noise_sd))
            rows.append(
                DatasetRow(
                    row_id=f"syn:{g}:{j}",
                    composition=(
                        Component("Glycerol", gly, "mol/kg"),
                        Component("Sucrose", suc, "mol/kg"),
                    ),
                    targets={SYNTHETIC_TARGET: y},
                    group=f"group-{g}",
                )
            )
    return Dataset(
        name="synthetic glycerol-sucrose",
        rows=tuple(rows),
        description=(
            f"y = 20 + 12 m_gly - 2 m_gly^2 + 30 m_suc + N(0, {noise_sd}^2), "
            f"group offset sd {group_sd}, seed {seed}"
        ),
    )
