"""Synthetic truth (issue 16 checks): the 90 % intervals of the fitted toxicity model cover
the true parameters at the nominal rate (85–95 %) over 100 simulated data sets."""

from __future__ import annotations

from cryoprotect.science.toxicity import KineticToxicityModel, ModelSpec
from cryoprotect.science.toxicity.synthetic import coverage_study

T_REF = 295.15
SPEC = ModelSpec(cpas=("Glycerol", "Formamide"), interactions=(("Glycerol", "Formamide"),))
TRUTH = KineticToxicityModel(
    "truth", SPEC.cpas, SPEC.parameter_names(), (2e-5, 1.5, 1e-4, 1.2, -1e-5), T_REF
)
CONDITIONS = [
    ({"Glycerol": g, "Formamide": f}, T_REF)
    for g, f in [(2, 0), (4, 0), (6, 0), (0, 1), (0, 2), (0, 3), (3, 1.5), (4, 2)]
]


def test_ninety_percent_intervals_cover_the_truth_at_the_nominal_rate() -> None:
    result = coverage_study(
        TRUTH,
        SPEC,
        CONDITIONS,
        (300.0, 900.0, 1800.0),
        n_datasets=100,
        n_groups=8,
        noise_sd=0.04,
        n_bootstrap=150,
        seed=11,
    )
    assert result.bounded == (100,) * 5  # every parameter got a finite interval every time
    assert 0.85 <= result.pooled <= 0.95, result.per_parameter()
    for name, coverage in result.per_parameter().items():
        assert 0.78 <= coverage <= 0.99, (name, coverage)
