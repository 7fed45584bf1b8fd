"""Which interval a prediction serves per group on cryomn-v2-all (issue 14, item 3).

Trains the source-noise GP on the 316 CryoMN v2 rows (as validation/ml_cryomn.py does,
seed 0; ~12 min on two cores) and prints, per cell type and source type, the held-out
coverage of the pooled and of the Mondrian CV+ interval and which one a prediction given
that group serves (:func:`cryoprotect.ml.group_conformal.choose_interval`), with the
reason. Run: ``.venv/bin/python validation/mondrian_serving.py``.
"""

from __future__ import annotations

from cryoprotect.ml import cryomn_v2, group_conformal
from cryoprotect.ml.datasets import VIABILITY
from cryoprotect.ml.train import train


def main() -> None:
    data = cryomn_v2.load_v2_all()
    model = train(
        data,
        VIABILITY,
        "gaussian_process_source_noise",
        level=0.9,
        seed=0,
        bounds=(0.0, 100.0),
        featurizer="composition_conditions_v2",
        featurizer_options={
            "conditions": (cryomn_v2.COOLING_RATE,),
            "categorical": cryomn_v2.CATEGORICAL_CONDITIONS,
            "noise_condition": cryomn_v2.NOISE,
        },
        n_jobs=2,
    )
    coverage = model.metrics["group_coverage"]
    print(f"{data.name}: {len(data)} rows; all groups: {model.metrics['interval']['coverage']:.3f}")
    for key, tables in coverage["keys"].items():
        mondrian = {r["group"]: r for r in tables["mondrian"]}
        for r in tables["pooled"]:
            m = mondrian[r["group"]]
            choice = group_conformal.choose_interval(
                coverage, model.group_calibration, {key: r["group"]}
            )
            served = (choice["coverage"] or {}).get("served")
            print(
                f"{key:<12} {r['group']:<18} n={r['n']:>3}  pooled {r['coverage']:.3f} "
                f"(w {r['mean_width']:.1f}) {r['status']:<14} | Mondrian {m['coverage']:.3f} "
                f"(w {m['mean_width']:.1f}) | served: {choice['interval_method']}"
                + (f" {served:.3f}" if served is not None else "")
            )
            print(f"    {choice['reason']}")


if __name__ == "__main__":
    main()
