"""Synthetic exposure experiments for the toxicity tests (generated in the test, never shipped).

One place for the illustrative "truth", the exposure CSV header and the writer that turns
simulated observations into an importable CSV (the API and browser tests share them).
"""

from __future__ import annotations

import csv
import io

import numpy as np

from cryoprotect.science.toxicity import KineticToxicityModel, standard_parameter_names
from cryoprotect.science.toxicity.synthetic import simulate_observations

CPAS = ("Glycerol", "Dimethyl sulfoxide", "Propylene glycol")
# ILLUSTRATIVE rates (1/s at 1 mol/kg) and exponents: test data only.
TRUTH = KineticToxicityModel(
    "synthetic truth (test only)",
    CPAS,
    standard_parameter_names(CPAS),
    (2e-5, 1.6, 6e-5, 1.6, 8e-5, 1.6),
    295.15,
)
HEADER = (
    "plate,well,cpa_1,amount_1,cpa_2,amount_2,cpa_3,amount_3,concentration_unit,"
    "exposure_time_min,temperature_c,viability,viability_unit,replicates"
)
CONDITIONS = [
    ({"Glycerol": 2.0}, 295.15),
    ({"Glycerol": 4.0}, 295.15),
    ({"Dimethyl sulfoxide": 1.5}, 295.15),
    ({"Dimethyl sulfoxide": 3.0}, 295.15),
    ({"Propylene glycol": 1.5}, 295.15),
    ({"Propylene glycol": 3.0}, 295.15),
    ({"Glycerol": 1.5, "Dimethyl sulfoxide": 1.5, "Propylene glycol": 1.0}, 295.15),
]
TIMES_S = [300.0, 900.0, 1800.0]


def synthetic_exposure_csv(n_groups: int, seed: int) -> bytes:
    """Exposure rows simulated from ``TRUTH`` (noise SD 0.02) as the importer's CSV."""
    data = simulate_observations(
        TRUTH,
        CONDITIONS,
        TIMES_S,
        n_groups=n_groups,
        noise_sd=0.02,
        rng=np.random.default_rng(seed),
    )
    out = io.StringIO()
    out.write(HEADER + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for k, ob in enumerate(data):
        cells: list[str] = []
        for name, value in ob.molality.items():
            cells += [name, f"{value:g}"]
        cells += [""] * (6 - len(cells))
        viability = min(ob.viability, 1.0) * 100.0  # the importer refuses > 100 %
        writer.writerow(
            [ob.group.replace("experiment ", "P"), f"W{k}", *cells, "mol/kg"]
            + [f"{ob.time_s / 60:g}", "22", f"{viability:.3f}", "%", "1"]
        )
    return out.getvalue().encode()
