"""Serving the Mondrian (group-conditional) CV+ interval where groups differ (issue 14, item 3).

A synthetic viability set with a known answer: two source types share one smooth
composition → logit(viability) function; the ``wetlab`` rows carry 8x the noise of the
``literature`` rows. The pooled CV+ interval then under-covers ``wetlab`` and the stored
per-group coverage says so; a prediction told ``source_type: wetlab`` must serve the
group's own interval (wider, ~90 % coverage of fresh wetlab rows), stay within 0-100 %,
survive a save/load round trip, and fall back to pooled (saying why) otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.special import expit

from cryoprotect.ml import artifacts, group_conformal
from cryoprotect.ml.datasets import VIABILITY, Component, Dataset, DatasetRow
from cryoprotect.ml.train import predict, train
from tests.conftest import interval

pytestmark = pytest.mark.unit

NOISE = {"literature": 0.15, "wetlab": 1.2}  # sd of the logit-scale noise per source type


def _rows(source: str, n_groups: int, per_group: int, rng: np.random.Generator) -> list[DatasetRow]:
    rows = []
    for g in range(n_groups):
        for j in range(per_group):
            gly = float(rng.uniform(0.0, 3.0))
            suc = float(rng.uniform(0.0, 0.5))
            logit = -1.5 + 1.2 * gly - 0.2 * gly * gly + 3.0 * suc
            logit += float(rng.normal(0.0, NOISE[source]))
            rows.append(
                DatasetRow(
                    row_id=f"{source}:{g}:{j}:{rng.integers(1 << 30)}",
                    composition=(
                        Component("Glycerol", gly, "mol/kg"),
                        Component("Sucrose", suc, "mol/kg"),
                    ),
                    targets={VIABILITY: float(100.0 * expit(logit))},
                    group=f"{source}-{g}",
                    conditions={"source_type": source},
                )
            )
    return rows


def _dataset(seed: int, lit_groups: int, wet_groups: int, per_group: int = 8) -> Dataset:
    rng = np.random.default_rng(seed)
    rows = _rows("literature", lit_groups, per_group, rng) + _rows(
        "wetlab", wet_groups, per_group, rng
    )
    return Dataset(name=f"two-source synthetic {seed}", rows=tuple(rows))


@pytest.fixture(scope="module")
def model():
    return train(
        _dataset(0, 30, 15), VIABILITY, "ridge", param_grid={"model__alpha": [0.1]}, n_boot=200
    )


@pytest.fixture(scope="module")
def fresh() -> list[DatasetRow]:
    """New wetlab rows from the same generator (never trained on)."""
    return list(_dataset(99, 0, 60).rows)


def _coverage(preds, rows) -> float:
    y = np.array([r.targets[VIABILITY] for r in rows])
    lo = np.array([p.lower for p in preds])
    hi = np.array([p.upper for p in preds])
    return float(np.mean((lo <= y) & (y <= hi)))


def test_stored_coverage_shows_the_pooled_interval_missing_the_noisy_group(model) -> None:
    keys = model.metrics["group_coverage"]["keys"]["source_type"]
    pooled = {r["group"]: r for r in keys["pooled"]}
    assert pooled["wetlab"]["n"] == 120 and pooled["wetlab"]["status"] == "below_target"
    assert pooled["literature"]["status"] == "above_target"
    cal = model.group_calibration["keys"]["source_type"]
    assert cal["wetlab"]["n"] == 120 and len(cal["wetlab"]["rows"]) == 120
    labels = [r.conditions["source_type"] for r in _train_rows(model)]
    assert all(labels[i] == "wetlab" for i in cal["wetlab"]["rows"])


def _train_rows(model):
    by_id = {r.row_id: r for r in _dataset(0, 30, 15).rows}
    return [by_id[i] for i in model.report.row_ids]


def test_wetlab_gets_its_own_wider_interval_that_covers_it(model, fresh) -> None:
    mond = predict(model, fresh, groups={"source_type": "wetlab"}, extrapolate=True)
    pooled = predict(model, fresh, extrapolate=True)
    assert {p.interval_method for p in mond} == {"mondrian CV+ (group source_type=wetlab, n=120)"}
    assert {p.interval_method for p in pooled} == {"pooled CV+"}
    width_m = np.mean([upper - lower for lower, _, upper in map(interval, mond)])
    width_p = np.mean([upper - lower for lower, _, upper in map(interval, pooled)])
    assert width_m > width_p
    # the point is the same model's; only the interval differs
    assert [p.value for p in mond] == [p.value for p in pooled]
    cov_m, cov_p = _coverage(mond, fresh), _coverage(pooled, fresh)
    assert 0.85 <= cov_m <= 0.96, cov_m
    assert cov_p < 0.82, cov_p
    for p in mond:
        lower, value, upper = interval(p)
        assert 0.0 <= lower <= value <= upper <= 100.0 and not p.clipped
    g = mond[0].group_coverage
    assert g is not None and g["key"] == "source_type" and g["group"] == "wetlab"
    assert g["n_held_out"] == 120 and g["pooled"] < 0.85
    assert g["served"] == g["mondrian"] and abs(g["mondrian"] - 0.9) < abs(g["pooled"] - 0.9)


def test_pooled_without_a_usable_group_and_the_answer_says_why(model, fresh) -> None:
    rows = fresh[:3]
    none = predict(model, rows)[0]
    assert none.interval_method == "pooled CV+" and none.group_coverage is None
    assert "no group given" in none.interval_reason
    unknown = predict(model, rows, groups={"source_type": "cryobank"})[0]
    assert unknown.interval_method == "pooled CV+"
    assert "no training row is of this group" in unknown.interval_reason
    other_key = predict(model, rows, groups={"cell_type": "msc_adipose"})[0]
    assert other_key.interval_method == "pooled CV+"
    assert "have no cell_type" in other_key.interval_reason
    per_row = predict(model, rows, groups=[{"source_type": "wetlab"}, None, {}])
    assert [p.interval_method.split(" ")[0] for p in per_row] == ["mondrian", "pooled", "pooled"]
    lit = predict(model, rows, groups={"source_type": "literature"})[0]
    # literature is over-covered by the pooled interval: it gets its own (narrower) one
    assert lit.interval_method.startswith("mondrian CV+ (group source_type=literature")
    (lit_lower, _, lit_upper), (none_lower, _, none_upper) = interval(lit), interval(none)
    assert lit_upper - lit_lower < none_upper - none_lower


def test_the_group_calibration_survives_save_and_load_and_old_artefacts_serve_pooled(
    model, fresh
) -> None:
    art = artifacts.save(model)
    assert "group_calibration" in art.manifest
    loaded = artifacts.load(art.manifest, art.weights)
    a = predict(model, fresh[:5], groups={"source_type": "wetlab"})
    b = predict(loaded, fresh[:5], groups={"source_type": "wetlab"})
    assert [(p.lower, p.upper, p.interval_method) for p in a] == [
        (p.lower, p.upper, p.interval_method) for p in b
    ]
    old = {k: v for k, v in art.manifest.items() if k != "group_calibration"}
    old["manifest_sha256"] = artifacts.manifest_checksum(old)
    legacy = artifacts.load(old, art.weights)
    assert legacy.group_calibration is None
    c = predict(legacy, fresh[:5], groups={"source_type": "wetlab"})
    assert {p.interval_method for p in c} == {"pooled CV+"}
    assert "without per-group calibration data" in c[0].interval_reason
    plain = predict(legacy, fresh[:5])
    assert [(p.lower, p.upper) for p in c] == [(p.lower, p.upper) for p in plain]


def test_a_group_with_too_few_calibration_rows_falls_back_to_pooled() -> None:
    coverage: dict[str, Any] = {
        "level": 0.9,
        "target_coverage": [0.85, 0.95],
        "min_rows": 20,
        "keys": {
            "cell_type": {
                "pooled": [{"group": "rare", "n": 25, "coverage": 0.6, "status": "below_target"}],
                "mondrian": [
                    {"group": "rare", "n": 25, "coverage": 0.9, "status": "within_target"}
                ],
            }
        },
    }
    calibration: dict[str, Any] = {
        "min_group_calibration": 20,
        "keys": {"cell_type": {"rare": {"n": 12}}},
    }
    choice = group_conformal.choose_interval(coverage, calibration, {"cell_type": "rare"})
    assert choice["method"] == "pooled" and "12 calibration rows" in choice["reason"]
    calibration["keys"]["cell_type"]["rare"] = {"n": 25, "rows": list(range(25))}
    choice = group_conformal.choose_interval(coverage, calibration, {"cell_type": "rare"})
    assert choice["method"] == "mondrian"
    assert choice["interval_method"] == "mondrian CV+ (group cell_type=rare, n=25)"
    # too few held-out rows to judge: pooled
    coverage["keys"]["cell_type"]["pooled"][0]["n"] = 19
    choice = group_conformal.choose_interval(coverage, calibration, {"cell_type": "rare"})
    assert choice["method"] == "pooled" and "19 held-out rows" in choice["reason"]
