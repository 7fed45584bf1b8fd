"""Next-experiment suggestions from a trained composition model (issue 14, item 4).

This module owns the use case: load a model version the caller can see, sample the
constrained formulation space, score the candidates with the model's predictive mean and
uncertainty (:mod:`cryoprotect.ml.acquisition`), check each finalist's solution physics
through :mod:`cryoprotect.services.solutions`, and pick a batch.

**What a suggestion must satisfy.**

* *Allowed ingredients and ranges* — given by the caller, or by default every component
  of the model's vocabulary (seen in at least ``min_count`` training rows) in the unit it
  is most often given in, between the smallest and the largest amount measured in the
  training data (concentrations that were actually prepared).
* *DMSO-free* — dimethyl sulfoxide is never an ingredient.
* *Maximum number of ingredients*.
* *Inside the applicability domain* — the model's own domain check and only components
  it was trained on; a prediction it would not stand behind is never a suggestion.
* *Makeable* — the composition converts to a real solution (water left, volumes below
  100 %): :func:`cryoprotect.services.solutions.check_composition` in the given units;
  where a component has no density data (most polymers and proteins) that check cannot
  be done and the model's own conversion decides, with its documented density closure
  (:mod:`cryoprotect.ml.features`); the answer says which. Solubility limits are not
  checked (no cited table); the default ranges stay within measured amounts.
* *Maximum osmolality* and *maximum melting point* — from
  :func:`cryoprotect.services.solutions.solution_properties` (the validity-checked
  answers of :mod:`cryoprotect.science.thermo_validity`) on the candidate in mol/kg. A
  value that cannot be given counts as *not satisfying* the bound unless the answer's
  bound proves it: an ice melting point bounded ``below``/``at_or_below`` the limit
  satisfies a maximum melting point; an osmolality bounded ``above`` the limit violates a
  maximum osmolality; everything else unproven is left out, and the counts say so.

**Cost.** ``batch_size`` ≤ :data:`MAX_BATCH_SIZE`, ``n_candidates`` ≤
:data:`MAX_CANDIDATES`; the physics is checked for the best in-domain candidates by acquisition
(:data:`FINALISTS_PER_PICK` per suggestion, at least 20; :data:`MAX_PHYSICS_CHECKS` when an
osmolality or melting-point bound is asked), and the batch is chosen among those that pass.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryoprotect.db.models import Dataset as DatasetRecord
from cryoprotect.db.models import PredictiveModel
from cryoprotect.errors import InvalidCompositionError, LimitExceeded, ValidationError
from cryoprotect.ml import acquisition as acq
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import train as ml_train
from cryoprotect.ml.components import ComponentInfo
from cryoprotect.ml.features import CompositionPhysicsFeaturizer, RowQuantities
from cryoprotect.services import solutions
from cryoprotect.services.actor import Actor

MAX_BATCH_SIZE = 20
MAX_CANDIDATES = 1024
DEFAULT_CANDIDATES = 256
MAX_PHYSICS_CHECKS = 200
FINALISTS_PER_PICK = 6
DMSO = "Dimethyl sulfoxide"
NOT_CHECKED = (
    "solubility limits are not checked (no cited solubility table); the default ranges "
    "stay within amounts measured in the training data"
)


def _cap(value: int, limit: int, field: str) -> int:
    if value > limit:
        raise LimitExceeded(
            f"{field} is {value}; at most {limit} per request.",
            field=field,
            details={"limit": limit, "requested": value},
        )
    return value


def _composition_model(model: ml_train.TrainedModel) -> CompositionPhysicsFeaturizer:
    featurizer = getattr(model, "featurizer", None)
    if not isinstance(featurizer, CompositionPhysicsFeaturizer):
        raise ValidationError(
            "Suggestions need a model that predicts from a formulation's composition "
            "(a mixture model such as those trained on the CryoMN data); this model's "
            f"features are {getattr(featurizer, 'name', type(featurizer).__name__)}.",
            field="model_id",
            details={"reason": "not_a_composition_model"},
        )
    return featurizer


def _training_rows(
    session: Any, row: PredictiveModel, target: str
) -> list[ml_datasets.DatasetRow] | None:
    """The model's training rows with the target, or None when the caller cannot see them."""
    if row.dataset_id is None:
        return None
    record = session.get(DatasetRecord, row.dataset_id)
    if record is None:
        return None
    ds = ml_datasets.dataset_from_records(record.rows, name=record.name)
    return list(ds.with_target(target).rows)


def default_ingredients(
    featurizer: CompositionPhysicsFeaturizer,
    rows: Sequence[ml_datasets.DatasetRow],
    *,
    dmso_free: bool,
) -> list[acq.IngredientRange]:
    """Every vocabulary component in its most common training unit, within measured amounts."""
    out = []
    for name in featurizer.vocabulary:
        if dmso_free and name == DMSO:
            continue
        amounts: dict[str, list[float]] = {}
        for r in rows:
            for c in r.composition:
                if featurizer.resolve(c.name).name == name and c.amount > 0:
                    amounts.setdefault(c.unit, []).append(float(c.amount))
        if not amounts:
            continue
        unit = Counter({u: len(v) for u, v in amounts.items()}).most_common(1)[0][0]
        low, high = min(amounts[unit]), max(amounts[unit])
        if high <= low:
            low = 0.0
        out.append(acq.IngredientRange(name, unit, low, high))
    return out


def _requested_ingredients(
    featurizer: CompositionPhysicsFeaturizer,
    items: Sequence[Mapping[str, Any]],
    *,
    dmso_free: bool,
) -> list[acq.IngredientRange]:
    out: list[acq.IngredientRange] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"ingredients[{i}]"
        info = featurizer.resolve(str(item["name"]), f"{where}.name")
        if dmso_free and info.name == DMSO:
            raise ValidationError(
                "dmso_free is set, so dimethyl sulfoxide cannot be an allowed ingredient.",
                field=f"{where}.name",
            )
        if info.name in seen:
            raise ValidationError(f"{info.name} is listed twice.", field=f"{where}.name")
        seen.add(info.name)
        unit = ml_datasets.check_unit(item["unit"], f"{where}.unit")
        low, high = float(item.get("low", 0.0)), float(item["high"])
        if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high <= low:
            raise ValidationError(
                f"{info.name}: need 0 ≤ low < high (got {low:g}–{high:g}).",
                field=f"{where}.high",
            )
        out.append(acq.IngredientRange(info.name, unit, low, high))
    return out


def _rows(
    space: acq.CandidateSpace, amounts: np.ndarray, conditions: Mapping[str, Any]
) -> list[ml_datasets.DatasetRow]:
    rows = []
    seen: set[tuple[float, ...]] = set()
    for i, line in enumerate(amounts):
        key = tuple(float(f"{a:.4g}") for a in line)
        if key in seen:
            continue
        seen.add(key)
        composition = tuple(
            ml_datasets.Component(ing.name, a, ing.unit)
            for ing, a in zip(space.ingredients, key, strict=True)
            if a > 0
        )
        rows.append(
            ml_datasets.DatasetRow(
                row_id=f"candidate-{i}", composition=composition, conditions=dict(conditions)
            )
        )
    return rows


@dataclass(frozen=True)
class _Featurized:
    """Candidates the model's conversion accepts, with what the checks need of each."""

    rows: list[ml_datasets.DatasetRow]
    X: np.ndarray
    unseen: list[tuple[str, ...]]
    molality: list[dict[str, float]]
    mass_percent: list[dict[str, float]]
    impossible: int


Piece = tuple[list[ml_datasets.DatasetRow], RowQuantities]


def _accepted(
    featurizer: CompositionPhysicsFeaturizer, rows: list[ml_datasets.DatasetRow]
) -> tuple[list[Piece], int]:
    """Converted pieces of ``rows`` (bisecting around impossible rows) and the impossible count."""
    try:
        return [(rows, featurizer.quantities(rows))], 0
    except InvalidCompositionError:
        if len(rows) == 1:
            return [], 1
    half = len(rows) // 2
    left, bad_left = _accepted(featurizer, rows[:half])
    right, bad_right = _accepted(featurizer, rows[half:])
    return left + right, bad_left + bad_right


FULL_BATCH_ATTEMPTS = 8
"""Conversions of the whole candidate set tried (each drops the impossible rows the error
names) before falling back to one conversion per ingredient set."""


def _one_pass(
    featurizer: CompositionPhysicsFeaturizer, rows: list[ml_datasets.DatasetRow]
) -> tuple[list[Piece], int]:
    """Convert all rows at once, dropping the rows each conversion error names."""
    impossible = 0
    for _ in range(FULL_BATCH_ATTEMPTS):
        if not rows:
            return [], impossible
        try:
            return [(rows, featurizer.quantities(rows))], impossible
        except InvalidCompositionError as exc:
            named = set(exc.details.get("row_ids") or ())
            bad = {
                r.row_id for r in rows if r.row_id in named and not _accepted(featurizer, [r])[0]
            }
            bad = bad or named
            if not bad:
                break
            impossible += len(bad)
            rows = [r for r in rows if r.row_id not in bad]
    groups: dict[tuple[tuple[str, str], ...], list[ml_datasets.DatasetRow]] = {}
    for r in rows:
        groups.setdefault(tuple((c.name, c.unit) for c in r.composition), []).append(r)
    pieces: list[Piece] = []
    for members in groups.values():
        got, bad_count = _accepted(featurizer, members)
        pieces += got
        impossible += bad_count
    return pieces, impossible


def _featurize(
    featurizer: CompositionPhysicsFeaturizer, rows: list[ml_datasets.DatasetRow]
) -> _Featurized:
    """Features of the candidates the model's conversion accepts (see :func:`_one_pass`)."""
    pieces, impossible = _one_pass(featurizer, rows)
    kept: list[ml_datasets.DatasetRow] = []
    blocks: list[np.ndarray] = []
    unseen: list[tuple[str, ...]] = []
    molality: list[dict[str, float]] = []
    mass_percent: list[dict[str, float]] = []
    for piece_rows, q in pieces:
        kept += piece_rows
        blocks.append(featurizer.assemble(q))
        unseen += featurizer.unseen_components(q)
        for i in range(len(piece_rows)):
            present = [k for k in range(len(q.components)) if q.present[i, k]]
            molality.append({q.components[k]: float(q.molality[i, k]) for k in present})
            mass_percent.append(
                {q.components[k]: 100.0 * float(q.mass_fraction[i, k]) for k in present}
            )
    X = np.vstack(blocks) if blocks else np.zeros((0, len(featurizer.feature_names)))
    return _Featurized(kept, X, unseen, molality, mass_percent, impossible)


def _solution_components(
    infos: Sequence[ComponentInfo], amounts: Sequence[tuple[float, str]]
) -> list[solutions.SolutionComponent]:
    return [
        solutions.SolutionComponent(
            name=info.name,
            synonyms=info.synonyms,
            molar_mass_g_per_mol=info.molar_mass_g_per_mol,
            amount=amount,
            unit=unit,
        )
        for info, (amount, unit) in zip(infos, amounts, strict=True)
    ]


def makeable(
    featurizer: CompositionPhysicsFeaturizer, row: ml_datasets.DatasetRow
) -> dict[str, Any]:
    """Whether the composition is a real solution, and how that was decided."""
    infos = [featurizer.resolve(c.name) for c in row.composition]
    comps = _solution_components(infos, [(c.amount, c.unit) for c in row.composition])
    try:
        solutions.check_composition(comps)
    except InvalidCompositionError as exc:
        field = str(exc.details.get("field") or "")
        if not field.endswith(".unit"):
            return {"ok": False, "method": "solutions.check_composition", "reason": exc.message}
        return {
            "ok": True,
            "method": (
                "the model's unit conversion (ml/features density closure: the sucrose "
                "binary's volume per gram for solids without density data); the exact "
                f"check needs densities it lacks ({exc.message})"
            ),
            "reason": None,
        }
    return {"ok": True, "method": "solutions.check_composition (exact conversion)", "reason": None}


def physics(
    infos: Sequence[ComponentInfo], molality: Sequence[float], mass_percent: Sequence[float]
) -> dict[str, Any]:
    """Osmolality and melting point of a candidate (mol/kg; % w/w for undefined masses)."""
    amounts = [
        (float(m), "mol/kg")
        if info.molar_mass_g_per_mol and math.isfinite(m)
        else (float(w), "% w/w")
        for info, m, w in zip(infos, molality, mass_percent, strict=True)
    ]
    missing = [i.name for i in infos if not i.molar_mass_g_per_mol]
    if missing:
        reason = (
            f"unknown, because {', '.join(missing)} has no defined molar mass, so its "
            "contribution to osmolality and freezing cannot be computed"
        )
        unknown = {"value": None, "status": "range_unknown", "reason": reason, "bound": None}
        return {"osmolality": dict(unknown), "melting_point": dict(unknown)}
    props = solutions.solution_properties(_solution_components(infos, amounts))
    osm, mp = props["osmolality"], props["melting_point"]
    return {
        "osmolality": {
            "value": osm["value"],
            "unit": "osmol/kg",
            "status": osm["status"],
            "reason": osm["reason"],
            "bound": osm["bound"],
        },
        "melting_point": {
            "value": mp["value_c"],
            "unit": "°C",
            "status": mp["status"],
            "reason": mp["reason"],
            "bound": mp["bound"],
        },
    }


def satisfies_max_osmolality(answer: Mapping[str, Any], limit: float) -> tuple[bool, str]:
    """Whether an osmolality answer proves ``≤ limit`` (unproven counts as not satisfied)."""
    if answer.get("value") is not None:
        ok = float(answer["value"]) <= limit
        return ok, f"osmolality {answer['value']:.3g} osmol/kg {'≤' if ok else '>'} {limit:g}"
    bound = answer.get("bound") or {}
    if bound.get("relation") == "above" and float(bound["value"]) > limit:
        return False, f"osmolality above {bound['value']:.3g} osmol/kg > {limit:g} (bound)"
    return False, f"osmolality not proven ≤ {limit:g} osmol/kg: {answer.get('reason')}"


def satisfies_max_melting_point(answer: Mapping[str, Any], limit_c: float) -> tuple[bool, str]:
    """Whether a melting-point answer proves ``≤ limit_c`` (unproven counts as not satisfied)."""
    if answer.get("value") is not None:
        ok = float(answer["value"]) <= limit_c
        return ok, f"melting point {answer['value']:.1f} °C {'≤' if ok else '>'} {limit_c:g} °C"
    bound = answer.get("bound") or {}
    if (
        bound.get("quantity") == "ice_melting_point"
        and bound.get("relation") in ("below", "at_or_below")
        and float(bound["value"]) <= limit_c
    ):
        return True, f"melting point at or below {bound['value']:.1f} °C ≤ {limit_c:g} °C (bound)"
    return False, f"melting point not proven ≤ {limit_c:g} °C: {answer.get('reason')}"


def _why(label: str, rule: str, exploit: float, explore: float) -> str:
    if rule == "expected_improvement":
        terms = (
            f"expected-improvement terms: exploitation {exploit:.3g}, exploration {explore:.3g} "
            "(fitting scale)"
        )
    else:
        terms = f"UCB terms: predicted mean − best {exploit:.3g}, κσ {explore:.3g} (fitting scale)"
    if label == "exploit":
        return f"exploit: its predicted value is what makes it promising ({terms})"
    return f"explore: the model is uncertain here, where a large gain is possible ({terms})"


class SuggestionService:
    """Batches of formulations to test next (see the module docstring).

    Args:
        db: the database.
        models: the model service (loads a visible model version).
    """

    def __init__(self, db: Any, models: Any) -> None:
        self.db = db
        self.models = models

    def suggest(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        *,
        batch_size: int = 5,
        rule: str = "expected_improvement",
        ingredients: Sequence[Mapping[str, Any]] | None = None,
        dmso_free: bool = False,
        max_ingredients: int | None = None,
        max_osmolality_osmol_per_kg: float | None = None,
        max_melting_point_c: float | None = None,
        n_candidates: int = DEFAULT_CANDIDATES,
        sampler: str = "sobol",
        seed: int = 0,
        xi: float = 0.0,
        kappa: float = 2.0,
        conditions: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A batch of ``batch_size`` formulations to test next, each with why it was picked.

        Raises:
            LimitExceeded: ``batch_size`` or ``n_candidates`` above their caps (HTTP 400).
            NotFound: no such model visible to the caller.
            ValidationError: the model is not ready, does not predict from composition, its
                training data are not visible, or a constraint is malformed (HTTP 422).
        """
        _cap(batch_size, MAX_BATCH_SIZE, "batch_size")
        _cap(n_candidates, MAX_CANDIDATES, "n_candidates")
        if batch_size < 1:
            raise ValidationError("batch_size must be at least 1.", field="batch_size")
        if rule not in acq.RULES:
            raise ValidationError(f"rule must be one of {', '.join(acq.RULES)}.", field="rule")
        row, model = self.models.load(actor, model_id)
        featurizer = _composition_model(model)
        with self.db.transaction(actor.identity) as session:
            # The session is RLS-scoped: a dataset the caller cannot see reads as None.
            training = _training_rows(session, row, model.target)
        version = row.version
        if not training:
            raise ValidationError(
                "The training data of this model are not visible to you, so the best measured "
                "value (what an improvement is measured from) is unknown.",
                field="model_id",
                details={"reason": "training_data_not_visible"},
            )
        y = np.array([r.targets[model.target] for r in training], dtype=np.float64)
        best_i = int(np.argmax(y))
        allowed = (
            _requested_ingredients(featurizer, ingredients, dmso_free=dmso_free)
            if ingredients
            else default_ingredients(featurizer, training, dmso_free=dmso_free)
        )
        if not allowed:
            raise ValidationError("No ingredient is allowed.", field="ingredients")
        seen_max = max(len(r.composition) for r in training)
        k_max = max_ingredients if max_ingredients is not None else seen_max
        if k_max < 1:
            raise ValidationError("max_ingredients must be at least 1.", field="max_ingredients")
        space = acq.CandidateSpace(tuple(allowed), max_ingredients=min(k_max, len(allowed)))
        amounts = acq.sample_candidates(space, n_candidates, seed=seed, method=sampler)
        feats = _featurize(featurizer, _rows(space, amounts, conditions or {}))
        rows = feats.rows
        counts: dict[str, Any] = {
            "sampled": int(amounts.shape[0]),
            "distinct": len(rows) + feats.impossible,
            "impossible": feats.impossible,
        }
        link = model.link if model.link is not None else None
        notes = [NOT_CHECKED]
        if not rows:
            return self._answer(
                row, model, version, rule, xi, kappa, space, sampler, seed, n_candidates,
                training, best_i, counts, [], notes, None, None, link,
            )  # fmt: skip
        X = feats.X
        score, _, _ = model.domain.query(X)
        in_domain = (score <= model.domain.threshold) & np.array([not u for u in feats.unseen])
        counts["in_domain"] = int(in_domain.sum())
        pred = acq.predictive(model, X)
        forward = link.forward if link is not None else (lambda v: np.asarray(v, dtype=float))
        best_z = float(forward(np.array([y[best_i]]))[0])
        scores = acq.acquisition(rule, pred.mean, pred.std, best_z, xi=xi, kappa=kappa)
        ranked = [int(i) for i in np.argsort(-scores.value, kind="stable") if in_domain[i]]
        constrained = max_osmolality_osmol_per_kg is not None or max_melting_point_c is not None
        budget = (
            MAX_PHYSICS_CHECKS
            if constrained
            else min(MAX_PHYSICS_CHECKS, max(batch_size * FINALISTS_PER_PICK, 20))
        )
        finalists: list[int] = []
        checks: dict[int, dict[str, Any]] = {}
        rejected: Counter[str] = Counter()
        for i in ranked[:budget]:
            check = self._check(
                featurizer,
                rows[i],
                feats.molality[i],
                feats.mass_percent[i],
                max_osmolality_osmol_per_kg,
                max_melting_point_c,
            )
            checks[i] = check
            if check["passed"]:
                finalists.append(i)
            else:
                rejected[check["failed"]] += 1
        counts.update(
            {
                "physics_checked": len(checks),
                "passed_constraints": len(finalists),
                "rejected": dict(rejected),
            }
        )
        if constrained:
            notes.append(
                "an osmolality or melting point that cannot be given (no validated "
                "coefficients for a component, or outside their range) counts as not "
                "satisfying the bound unless the published bound proves it"
            )
        picks: list[int] = []
        batch = None
        if finalists:
            idx = np.array(finalists, dtype=np.intp)
            Z = acq.standardised(model.domain, X)
            sub = acq.Scores(scores.value[idx], scores.exploit[idx], scores.explore[idx])
            batch = acq.select_batch(
                sub, pred.mean[idx], pred.std[idx], Z[idx], batch_size, best=best_z, rule=rule
            )
            picks = [finalists[int(j)] for j in batch.indices]
        if len(picks) < batch_size:
            notes.append(
                f"only {len(picks)} of {batch_size} candidates passed every constraint among "
                f"the {len(checks)} best-scoring in-domain candidates checked"
            )
        predictions = (
            ml_train.predict(model, [rows[i] for i in picks], extrapolate=False) if picks else []
        )
        suggestions = []
        for rank, (i, p) in enumerate(zip(picks, predictions, strict=True)):
            label = acq.label(float(scores.exploit[i]), float(scores.explore[i]))
            suggestions.append(
                {
                    "rank": rank + 1,
                    "composition": [
                        {"name": c.name, "amount": round(c.amount, 6), "unit": c.unit}
                        for c in rows[i].composition
                    ],
                    "prediction": {
                        "value": p.value,
                        "lower": p.lower,
                        "upper": p.upper,
                        "level": p.level,
                        "unit": ml_train.target_unit(model.target),
                        "in_domain": p.in_domain,
                        "domain_score": p.domain_score,
                        "nearest": [n.as_dict() for n in p.nearest[:3]],
                    },
                    "acquisition": {
                        "value": float(scores.value[i]),
                        "exploitation_term": float(scores.exploit[i]),
                        "exploration_term": float(scores.explore[i]),
                        "mean_fitting_scale": float(pred.mean[i]),
                        "std_fitting_scale": float(pred.std[i]),
                    },
                    "picked_for": label,
                    "why": _why(label, rule, float(scores.exploit[i]), float(scores.explore[i])),
                    "physics": checks[i]["physics"],
                    "makeable": checks[i]["makeable"],
                    "constraints": checks[i]["constraints"],
                }
            )
        return self._answer(
            row, model, version, rule, xi, kappa, space, sampler, seed, n_candidates,
            training, best_i, counts, suggestions, notes, batch, pred.uncertainty_source, link,
        )  # fmt: skip

    def _check(
        self,
        featurizer: CompositionPhysicsFeaturizer,
        row: ml_datasets.DatasetRow,
        molality: Mapping[str, float],
        mass_percent: Mapping[str, float],
        max_osm: float | None,
        max_tm: float | None,
    ) -> dict[str, Any]:
        made = makeable(featurizer, row)
        infos = [featurizer.resolve(c.name) for c in row.composition]
        result: dict[str, Any] = {
            "makeable": made,
            "physics": None,
            "constraints": [],
            "passed": False,
            "failed": "not_makeable",
        }
        if not made["ok"]:
            return result
        try:
            phys = physics(
                infos,
                [molality[info.name] for info in infos],
                [mass_percent[info.name] for info in infos],
            )
        except InvalidCompositionError as exc:
            result["makeable"] = {
                "ok": False,
                "method": "solution_properties",
                "reason": exc.message,
            }
            return result
        result["physics"] = phys
        constraints = []
        if max_osm is not None:
            ok, text = satisfies_max_osmolality(phys["osmolality"], max_osm)
            constraints.append({"name": "max_osmolality_osmol_per_kg", "ok": ok, "text": text})
            if not ok:
                result.update(constraints=constraints, failed="max_osmolality_osmol_per_kg")
                return result
        if max_tm is not None:
            ok, text = satisfies_max_melting_point(phys["melting_point"], max_tm)
            constraints.append({"name": "max_melting_point_c", "ok": ok, "text": text})
            if not ok:
                result.update(constraints=constraints, failed="max_melting_point_c")
                return result
        result.update(constraints=constraints, passed=True, failed=None)
        return result

    def _answer(
        self,
        row: PredictiveModel,
        model: ml_train.TrainedModel,
        version: int | None,
        rule: str,
        xi: float,
        kappa: float,
        space: acq.CandidateSpace,
        sampler: str,
        seed: int,
        n_candidates: int,
        training: Sequence[ml_datasets.DatasetRow],
        best_i: int,
        counts: dict[str, Any],
        suggestions: list[dict[str, Any]],
        notes: list[str],
        batch: acq.Batch | None,
        source: str | None,
        link: Any,
    ) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "batch_strategy": acq.BATCH_STRATEGY,
            "sampler": sampler,
            "n_candidates": n_candidates,
            "seed": seed,
            "fitting_scale": link.describe() if link is not None else "identity",
        }
        parameters["xi" if rule == "expected_improvement" else "kappa"] = (
            xi if rule == "expected_improvement" else kappa
        )
        if batch is not None:
            parameters["lipschitz_constant"] = batch.lipschitz
            parameters["max_bound_fitting_scale"] = batch.best_bound
        best = training[best_i]
        return {
            "model_id": row.id,
            "model_version": version,
            "target": model.target,
            "goal": "maximize",
            "acquisition": {
                "rule": rule,
                "description": acq.describe_rule(rule, xi=xi, kappa=kappa),
                "parameters": parameters,
                "uncertainty_source": source or acq.uncertainty_source(model),
            },
            "incumbent": {
                "value": float(best.targets[model.target]),
                "row_id": best.row_id,
                "unit": ml_train.target_unit(model.target),
            },
            "space": {
                "ingredients": [
                    {"name": i.name, "unit": i.unit, "low": i.low, "high": i.high}
                    for i in space.ingredients
                ],
                "max_ingredients": space.max_ingredients,
            },
            "candidates": counts,
            "suggestions": suggestions,
            "notes": notes,
        }
