"""Predictions that respect what they predict (issue 14, item 1).

Declared target domains and their links, predictions and CV+ bounds inside 0–100 % on
viability data near 100 % and on the shipped CryoMN literature, no value outside the
applicability domain (VS55-like mixture) unless asked, the baseline verdict, and models
stored before links existed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryoprotect.errors import ValidationError
from cryoprotect.ml import artifacts
from cryoprotect.ml.datasets import (
    VIABILITY,
    Component,
    Dataset,
    DatasetRow,
    dataset_from_records,
    load_cryomn_literature,
)
from cryoprotect.ml.synthetic import SYNTHETIC_TARGET, make_synthetic_dataset
from cryoprotect.ml.targets import (
    PERCENT_EPSILON,
    Identity,
    LogitPercent,
    LogPositive,
    target_domain,
)
from cryoprotect.ml.train import OUTSIDE_DOMAIN, TrainedModel, predict, train
from cryoprotect.services.models import CRYOMN_DIR

pytestmark = pytest.mark.unit

# VS55 as usually described: 3.1 M DMSO, 3.1 M formamide, 2.2 M propylene glycol
# (test input only: a mixture far from the CryoMN slow-freezing media).
VS55_LIKE = [
    {"name": "Dimethyl sulfoxide", "amount": 3.1, "unit": "mol/L"},
    {"name": "Formamide", "amount": 3.1, "unit": "mol/L"},
    {"name": "Propylene glycol", "amount": 2.2, "unit": "mol/L"},
]
TEN_PERCENT_DMSO = [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}]


def _rows(*compositions: list[dict[str, object]]) -> tuple[DatasetRow, ...]:
    records = [{"id": f"q{i}", "components": c, "targets": {}} for i, c in enumerate(compositions)]
    return dataset_from_records(records, name="query").rows


def _near_100_viability(seed: int = 0) -> Dataset:
    """Glycerol/sucrose rows whose viability sits at 90–100 % (many at the 100 % cap)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(30):
        for j in range(8):
            gly, suc = float(rng.uniform(0, 3)), float(rng.uniform(0, 0.5))
            v = float(np.clip(95.0 + 2.5 * gly - 6.0 * suc + rng.normal(0, 2.0), 0, 100))
            rows.append(
                DatasetRow(
                    f"v:{g}:{j}",
                    (Component("Glycerol", gly, "mol/kg"), Component("Sucrose", suc, "mol/kg")),
                    {VIABILITY: v},
                    group=f"g{g}",
                )
            )
    return Dataset(name="near-100 viability", rows=tuple(rows))


# --- declared domains and links ------------------------------------------------------------


def test_declared_domains() -> None:
    for name in (
        "viability_percent",
        "recovery_percent",
        "attachment_percent",
        "membrane_integrity_percent",
    ):
        d = target_domain(name)
        assert (d.kind, d.low, d.high, d.unit) == ("percent", 0.0, 100.0, "%")
    assert target_domain("tg_k").kind == "positive" and target_domain("tg_k").unit == "K"
    assert target_domain("loading_time_s").kind == "positive"
    assert target_domain("tm_c").kind == "unbounded"


@given(st.floats(min_value=PERCENT_EPSILON, max_value=100 - PERCENT_EPSILON))
def test_logit_round_trip_inside_the_epsilon_band(p: float) -> None:
    link = LogitPercent()
    back = float(link.inverse(link.forward(np.array([p])))[0])
    assert back == pytest.approx(p, rel=1e-9, abs=1e-9)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_any_link_value_maps_back_inside_the_domain(z: float) -> None:
    assert 0.0 <= float(LogitPercent().inverse(np.array([z]))[0]) <= 100.0
    y = float(LogPositive().inverse(np.array([max(min(z, 700.0), -700.0)]))[0])
    assert y >= 0.0 and math.isfinite(y)


def test_log_link_refuses_non_positive_training_values() -> None:
    with pytest.raises(ValidationError, match="> 0"):
        LogPositive().forward(np.array([1.0, 0.0]))


def test_logit_holds_0_and_100_at_epsilon() -> None:
    z = LogitPercent().forward(np.array([0.0, 100.0]))
    assert np.allclose(LogitPercent().inverse(z), [PERCENT_EPSILON, 100 - PERCENT_EPSILON])


# --- models fitted on the link -------------------------------------------------------------


def test_logit_link_keeps_viability_near_100_inside_0_100() -> None:
    data = _near_100_viability()
    linked = train(data, VIABILITY, "ridge", seed=0)
    raw = train(data, VIABILITY, "ridge", seed=0, link="none")
    assert linked.target_transform == "logit(p/100), ε = 0.5 %"
    # the training rows and extrapolations well past the data (6 mol/kg glycerol)
    queries = list(data.rows[:40]) + [
        DatasetRow("far", (Component("Glycerol", g, "mol/kg"),)) for g in (4.0, 5.0, 6.0)
    ]
    for p in predict(linked, queries, extrapolate=True):
        assert p.value is not None and p.lower is not None and p.upper is not None
        assert 0.0 <= p.lower <= p.value <= p.upper <= 100.0
        assert not p.clipped and p.clip_reason is None
    # The same data fitted on the raw scale needs clipping, and says so.
    clipped = [p for p in predict(raw, queries, extrapolate=True) if p.clipped]
    assert clipped and all("without a transform" in (p.clip_reason or "") for p in clipped)
    # Out-of-fold intervals (the reported coverage) stay inside 0-100 % too.
    assert linked.report is not None
    for fold in linked.report.folds:
        assert fold.lower.min() >= 0.0 and fold.upper.max() <= 100.0


@pytest.fixture(scope="module")
def cryomn_ridge() -> TrainedModel:
    data = load_cryomn_literature(CRYOMN_DIR / "literature_formulations.csv")
    return train(data, VIABILITY, "ridge", seed=0)


def test_ten_percent_dmso_interval_stays_within_0_100_on_cryomn(
    cryomn_ridge: TrainedModel,
) -> None:
    # Before the link, this model's 90 % interval for 10 % DMSO was 12.6-118.6 %.
    (p,) = predict(cryomn_ridge, _rows(TEN_PERCENT_DMSO))
    assert p.in_domain and p.value is not None
    assert p.lower is not None and p.upper is not None
    assert 0.0 <= p.lower <= p.value <= p.upper <= 100.0
    assert not p.clipped
    assert p.as_dict()["target_transform"] == "logit(p/100), ε = 0.5 %"


def test_vs55_like_mixture_gets_no_value_but_reason_and_neighbours(
    cryomn_ridge: TrainedModel,
) -> None:
    # Before: 6942 % viability (90 % interval 391.6-7248.4 %) with a warning beside it.
    (p,) = predict(cryomn_ridge, _rows(VS55_LIKE))
    d = p.as_dict()
    assert d["value"] is None and d["lower"] is None and d["upper"] is None
    assert d["reason"] == OUTSIDE_DOMAIN and not d["in_domain"] and not d["extrapolated"]
    assert d["domain_score"] > d["domain_threshold"]
    assert len(d["nearest"]) == cryomn_ridge.domain.k
    assert all(n["row_id"].startswith("lit:") and n["group"] for n in d["nearest"])
    assert all(0.0 <= n["measured"] <= 100.0 for n in d["nearest"])
    assert any("Formamide" in w for w in d["warnings"])
    (x,) = predict(cryomn_ridge, _rows(VS55_LIKE), extrapolate=True)
    assert x.extrapolated and x.reason is None and x.value is not None
    assert x.lower is not None and x.upper is not None
    assert 0.0 <= x.lower <= x.value <= x.upper <= 100.0
    assert any("extrapolated on request" in w for w in x.warnings)


# --- baseline verdict ----------------------------------------------------------------------


def test_model_not_better_than_baseline_is_flagged(cryomn_ridge: TrainedModel) -> None:
    verdict = cryomn_ridge.metrics["baseline_verdict"]
    assert verdict["not_better_than_baseline"] is True
    assert verdict["statement"].startswith("This model does not predict better than")
    low, high = verdict["comparison"]["differences"]["baseline_mean"]["mae"][1:]
    assert low < 0 < high or low > 0  # the 95 % CI does not lie below 0


def test_model_better_than_baselines_is_not_flagged() -> None:
    signal = train(make_synthetic_dataset(noise_sd=1.0), SYNTHETIC_TARGET, "ridge", seed=0)
    verdict = signal.metrics["baseline_verdict"]
    assert verdict["not_better_than_baseline"] is False
    assert set(verdict["comparison"]["verdicts"].values()) == {"better"}
    # The same rows with the targets shuffled across rows: nothing to learn.
    data = make_synthetic_dataset(noise_sd=1.0)
    y = [r.targets[SYNTHETIC_TARGET] for r in data.rows]
    shuffled = np.random.default_rng(3).permutation(y)
    noise = Dataset(
        name="shuffled",
        rows=tuple(
            DatasetRow(r.row_id, r.composition, {SYNTHETIC_TARGET: float(v)}, group=r.group)
            for r, v in zip(data.rows, shuffled, strict=True)
        ),
    )
    flagged = train(noise, SYNTHETIC_TARGET, "ridge", seed=0).metrics["baseline_verdict"]
    assert flagged["not_better_than_baseline"] is True


# --- models stored before target transforms ------------------------------------------------


def _as_legacy(model: TrainedModel) -> TrainedModel:
    """The artefact as the previous format wrote it: no target_transform, no row groups."""
    saved = artifacts.save(model)
    manifest = {
        k: v for k, v in saved.manifest.items() if k not in ("target_transform", "target_domain")
    }
    manifest["manifest_sha256"] = artifacts.manifest_checksum(manifest)
    return artifacts.load(manifest, saved.weights)


def test_legacy_artifact_loads_and_reports_clipping() -> None:
    data = _near_100_viability()
    old = _as_legacy(train(data, VIABILITY, "ridge", seed=0, link="none", nested=False))
    assert old.link is None and "stored before target transforms" in old.target_transform
    queries = list(data.rows[:40]) + [DatasetRow("far", (Component("Glycerol", 6.0, "mol/kg"),))]
    answers = predict(old, queries, extrapolate=True)
    for p in answers:
        assert p.value is not None and p.lower is not None and p.upper is not None
        assert 0.0 <= p.lower <= p.value <= p.upper <= 100.0
    clipped = [p for p in answers if p.clipped]
    assert clipped, "a raw-scale ridge on data near 100 % reaches past 100 % somewhere"
    assert all("stored before target transforms" in (p.clip_reason or "") for p in clipped)


def test_identity_link_for_targets_without_a_domain() -> None:
    model = train(make_synthetic_dataset(), SYNTHETIC_TARGET, "ridge", nested=False)
    assert isinstance(model.link, Identity) and model.bounds is None
    reloaded = artifacts.from_bytes(artifacts.to_bytes(model))
    assert isinstance(reloaded.link, Identity)
    (p,) = predict(reloaded, make_synthetic_dataset().rows[:1])
    assert p.target_transform == "none (no declared domain)" and not p.clipped


def test_saved_model_keeps_its_link_and_row_labels() -> None:
    data = _near_100_viability()
    model = train(data, VIABILITY, "ridge", nested=False)
    reloaded = artifacts.from_bytes(artifacts.to_bytes(model))
    assert isinstance(reloaded.link, LogitPercent)
    assert reloaded.domain.groups == model.domain.groups
    (a,) = predict(model, data.rows[:1])
    (b,) = predict(reloaded, data.rows[:1])
    assert a.as_dict() == b.as_dict() and b.nearest[0].group == "g0"
