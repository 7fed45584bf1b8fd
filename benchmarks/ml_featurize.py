"""Featurization throughput: one vectorised call vs featurizing the same rows one at a time.

Input: the 198 CryoMN literature formulations repeated to 5,000 rows (mixed units:
% v/v, % w/v, mol/L; sera, polymers, small molecules), featurized by the fitted
``composition_physics_v1`` featurizer.

Ours: ``featurizer.transform(rows)`` — one ``to_molality`` call per distinct
(components, units) signature, one ``solution_thermo`` and one ``solution_tg`` call for
all rows. Baseline (same run): a Python loop calling ``featurizer.transform([row])`` per
row, which is what a per-request service would do. The two matrices are checked to agree
(relative 1e-9) before the rates are printed.

Usage: python benchmarks/ml_featurize.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from cryoprotect.ml.datasets import DatasetRow, load_cryomn_literature
from cryoprotect.ml.features import make_featurizer

ROOT = Path(__file__).resolve().parents[1]
N = 5_000


def main() -> None:
    data = load_cryomn_literature(ROOT / "data" / "cryomn" / "literature_formulations.csv")
    featurizer = make_featurizer("composition_physics_v1").fit(data)
    rows: list[DatasetRow] = [data.rows[i % len(data)] for i in range(N)]
    featurizer.transform(rows[:10])  # warm the descriptor cache and imports

    start = time.perf_counter()
    X_vec, _ = featurizer.transform(rows)
    vec = time.perf_counter() - start

    start = time.perf_counter()
    X_loop = np.vstack([featurizer.transform([row])[0] for row in rows])
    loop = time.perf_counter() - start

    np.testing.assert_allclose(X_vec, X_loop, rtol=1e-9, atol=1e-12)
    print(f"{N} rows × {X_vec.shape[1]} features (CryoMN literature formulations, repeated)")
    print(f"  vectorised transform : {N / vec:10.0f} rows/s  ({vec:.3f} s)")
    print(f"  per-row loop (baseline): {N / loop:8.0f} rows/s  ({loop:.3f} s)")
    print(f"  speed-up: {loop / vec:.1f}×")


if __name__ == "__main__":
    main()
