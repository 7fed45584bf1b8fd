"""The suggestion use case: sample, score, check and pick a batch of formulations."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cryoprotect.errors import LimitExceeded, ValidationError
from cryoprotect.ml import acquisition as acq
from cryoprotect.ml import train as ml_train
from cryoprotect.services.actor import Actor
from cryoprotect.services.suggestions.candidates import featurize
from cryoprotect.services.suggestions.constraints import check_candidate
from cryoprotect.services.suggestions.records import AcquisitionRule, Suggestion, SuggestionBatch
from cryoprotect.services.suggestions.space import (
    candidate_rows,
    composition_model,
    default_ingredients,
    requested_ingredients,
    training_rows,
)

MAX_BATCH_SIZE = 20
MAX_CANDIDATES = 1024
DEFAULT_CANDIDATES = 256
MAX_PHYSICS_CHECKS = 200
FINALISTS_PER_PICK = 6
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


def _parameters(
    rule: str,
    xi: float,
    kappa: float,
    sampler: str,
    n_candidates: int,
    seed: int,
    link: Any,
    batch: acq.Batch | None,
) -> dict[str, Any]:
    """The acquisition's parameters as the answer reports them."""
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
    return parameters


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
    ) -> SuggestionBatch:
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
        featurizer = composition_model(model)
        with self.db.transaction(actor.identity) as session:
            # The session is RLS-scoped: a dataset the caller cannot see reads as None.
            training = training_rows(session, row, model.target)
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
            requested_ingredients(featurizer, ingredients, dmso_free=dmso_free)
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
        feats = featurize(featurizer, candidate_rows(space, amounts, conditions or {}))
        rows = feats.rows
        counts: dict[str, Any] = {
            "sampled": int(amounts.shape[0]),
            "distinct": len(rows) + feats.impossible,
            "impossible": feats.impossible,
        }
        link = model.link if model.link is not None else None
        notes = [NOT_CHECKED]

        def answer(
            suggestions: list[Suggestion], batch: acq.Batch | None, source: str | None
        ) -> SuggestionBatch:
            best = training[best_i]
            return SuggestionBatch(
                model_id=row.id,
                model_version=version,
                target=model.target,
                goal="maximize",
                acquisition=AcquisitionRule(
                    rule=rule,
                    description=acq.describe_rule(rule, xi=xi, kappa=kappa),
                    parameters=_parameters(
                        rule, xi, kappa, sampler, n_candidates, seed, link, batch
                    ),
                    uncertainty_source=source or acq.uncertainty_source(model),
                ),
                incumbent={
                    "value": float(best.targets[model.target]),
                    "row_id": best.row_id,
                    "unit": ml_train.target_unit(model.target),
                },
                space={
                    "ingredients": [
                        {"name": i.name, "unit": i.unit, "low": i.low, "high": i.high}
                        for i in space.ingredients
                    ],
                    "max_ingredients": space.max_ingredients,
                },
                candidates=counts,
                suggestions=suggestions,
                notes=notes,
            )

        if not rows:
            return answer([], None, None)
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
            check = check_candidate(
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
                Suggestion(
                    rank=rank + 1,
                    composition=[
                        {"name": c.name, "amount": round(c.amount, 6), "unit": c.unit}
                        for c in rows[i].composition
                    ],
                    prediction={
                        "value": p.value,
                        "lower": p.lower,
                        "upper": p.upper,
                        "level": p.level,
                        "unit": ml_train.target_unit(model.target),
                        "in_domain": p.in_domain,
                        "domain_score": p.domain_score,
                        "nearest": [n.as_dict() for n in p.nearest[:3]],
                    },
                    acquisition={
                        "value": float(scores.value[i]),
                        "exploitation_term": float(scores.exploit[i]),
                        "exploration_term": float(scores.explore[i]),
                        "mean_fitting_scale": float(pred.mean[i]),
                        "std_fitting_scale": float(pred.std[i]),
                    },
                    picked_for=label,
                    why=_why(label, rule, float(scores.exploit[i]), float(scores.explore[i])),
                    physics=checks[i]["physics"],
                    makeable=checks[i]["makeable"],
                    constraints=checks[i]["constraints"],
                )
            )
        return answer(suggestions, batch, pred.uncertainty_source)
