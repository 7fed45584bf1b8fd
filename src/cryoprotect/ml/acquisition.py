"""Next-experiment suggestions: candidate sampling, acquisition functions, batch selection.

This module owns how a batch of formulations to test next is chosen from a trained
composition model. It is pure (numpy/scipy over plain data); the use case that loads a
model, checks the solution physics and answers the API is
:mod:`cryoprotect.services.suggestions`.

**Candidates** (:func:`sample_candidates`). The constrained space is: a list of allowed
ingredients, each with a unit and a range ``[low, high]`` it may take *when present*, and
a maximum number of ingredients per formulation. One scrambled Sobol sequence (or a Latin
hypercube; :mod:`scipy.stats.qmc`) of dimension ``2d + 1`` gives, per candidate, the
number of ingredients ``k`` (uniform in ``[min_ingredients, max_ingredients]``), which
``k`` ingredients are present (the ``k`` smallest of ``d`` uniform keys: every subset of
size ``k`` is equally likely) and their amounts (uniform in their ranges).

**Predictive distribution** (:func:`predictive`). The acquisition works on the scale the
model was fitted on (its link, e.g. ``logit(p/100)`` for a percentage), where a Normal
predictive distribution is a sensible approximation; improvements on that scale are
improvements of the target because the link is increasing. The standard deviation is
``uncertainty_source``:

* ``gaussian_process_std`` — the Gaussian process's posterior standard deviation
  (``predict(..., return_std=True)``; with a white-noise kernel it includes the fitted
  noise), for estimators that provide it;
* ``random_forest_tree_spread`` — the standard deviation of the individual trees'
  predictions (an ensemble spread, not a calibrated posterior);
* ``conformal_half_width`` — otherwise, the CV+ interval's half-width divided by the
  Normal quantile of its level, ``(upper − lower) / (2 z_{(1+level)/2})``.

**Acquisition** (:func:`expected_improvement`, :func:`upper_confidence_bound`). Expected
improvement over the best measured value ``y*`` (Jones, Schonlau & Welch, J Glob Optim
13:455, 1998)::

    EI = (μ − y* − ξ) Φ(u) + σ φ(u),   u = (μ − y* − ξ) / σ

its first term is the *exploitation* term, its second the *exploration* term. Upper
confidence bound ``μ + κσ`` (Srinivas et al., ICML 2010): exploitation term ``μ − y*``,
exploration term ``κσ``. Each pick is labelled ``exploit`` or ``explore`` by the larger of
its two terms.

**Batch** (:func:`select_batch`): local penalisation (González, Dai, Hennig & Lawrence,
AISTATS 2016, PMLR 51:648). After picking ``x_j`` the acquisition of every candidate is
multiplied by ``φ(x; x_j) = Φ((L‖x − x_j‖ − M + μ_j) / σ_j)``, the probability that ``x``
lies outside the ball around ``x_j`` in which, by a Lipschitz constant ``L``, the maximum
``M`` cannot be; UCB is made positive first by ``softplus`` as in that paper. ``M`` is the
larger of ``y*`` and the best predicted mean. ``L`` is estimated from the candidates: the
95th percentile of ``|μ_i − μ_j| / ‖x_i − x_j‖`` over nearest-neighbour pairs in the
standardised feature space (the paper uses the largest gradient norm of μ; a percentile
keeps a tree model's step jumps from inflating it). Distances are RMS distances in the
applicability domain's standardised ``arcsinh`` feature space.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc

from cryoprotect.errors import ValidationError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

Rule = Literal["expected_improvement", "upper_confidence_bound"]
RULES: tuple[str, ...] = ("expected_improvement", "upper_confidence_bound")
SAMPLERS: tuple[str, ...] = ("sobol", "lhs")
BATCH_STRATEGY = "local_penalisation"
LIPSCHITZ_PERCENTILE = 95.0
"""Percentile of nearest-neighbour slopes used as the Lipschitz constant."""


@dataclass(frozen=True)
class IngredientRange:
    """An allowed ingredient and the amounts it may take when present.

    Attributes:
        name: component name (as the model knows it).
        unit: composition unit of ``low`` and ``high``.
        low: smallest amount when present (≥ 0).
        high: largest amount (> ``low``).
    """

    name: str
    unit: str
    low: float
    high: float


@dataclass(frozen=True)
class CandidateSpace:
    """The constrained space candidates are drawn from.

    Attributes:
        ingredients: the allowed ingredients with their ranges.
        max_ingredients: most ingredients in one formulation.
        min_ingredients: fewest ingredients in one formulation.
    """

    ingredients: tuple[IngredientRange, ...]
    max_ingredients: int
    min_ingredients: int = 1

    def __post_init__(self) -> None:
        d = len(self.ingredients)
        if d == 0:
            raise ValidationError("at least one ingredient is needed", field="ingredients")
        for i, ing in enumerate(self.ingredients):
            if not (math.isfinite(ing.low) and math.isfinite(ing.high)):
                raise ValidationError("ranges must be finite", field=f"ingredients[{i}]")
            if ing.low < 0 or ing.high <= ing.low:
                raise ValidationError(
                    f"{ing.name}: need 0 ≤ low < high (got {ing.low:g}–{ing.high:g})",
                    field=f"ingredients[{i}]",
                )
        if not 1 <= self.min_ingredients <= self.max_ingredients:
            raise ValidationError(
                "need 1 ≤ min_ingredients ≤ max_ingredients", field="max_ingredients"
            )


def sample_candidates(
    space: CandidateSpace, n: int, *, seed: int = 0, method: str = "sobol"
) -> FloatArray:
    """Quasi-random candidates in the constrained space.

    Args:
        space: allowed ingredients, ranges and ingredient counts.
        n: number of candidates.
        seed: seeds the scrambling.
        method: ``"sobol"`` (scrambled Sobol) or ``"lhs"`` (Latin hypercube).

    Returns:
        ``(n, d)`` amounts in each ingredient's unit, 0 where absent; every row has between
        ``min_ingredients`` and ``min(max_ingredients, d)`` non-zero amounts, each inside
        its ingredient's range.
    """
    if n < 1:
        raise ValidationError("need at least one candidate", field="n_candidates")
    d = len(space.ingredients)
    dim = 2 * d + 1
    if method == "sobol":
        sampler: Any = qmc.Sobol(d=dim, scramble=True, seed=seed)
        u = sampler.random_base2(m=max(0, math.ceil(math.log2(n))))[:n]
    elif method == "lhs":
        u = qmc.LatinHypercube(d=dim, seed=seed).random(n)
    else:
        raise ValidationError(f"method must be one of {', '.join(SAMPLERS)}", field="sampler")
    k_max = min(space.max_ingredients, d)
    k_min = min(space.min_ingredients, k_max)
    k = k_min + np.minimum(np.floor(u[:, 0] * (k_max - k_min + 1)), k_max - k_min).astype(int)
    order = np.argsort(u[:, 1 : d + 1], axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(d)[None, :].repeat(n, axis=0), axis=1)
    present = rank < k[:, None]
    low = np.array([i.low for i in space.ingredients])
    high = np.array([i.high for i in space.ingredients])
    amounts = low + u[:, d + 1 :] * (high - low)
    # An ingredient present with low = 0 must still be present: keep it above 0.
    amounts = np.where(present, np.maximum(amounts, np.where(low > 0, low, 1e-9 * high)), 0.0)
    return np.asarray(amounts, dtype=np.float64)


# --- predictive distribution ----------------------------------------------------------------


@dataclass(frozen=True)
class Predictive:
    """Mean and standard deviation on the model's fitting scale, and where σ comes from."""

    mean: FloatArray
    std: FloatArray
    uncertainty_source: str


def _last_step(estimator: Any) -> Any:
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _before_last(estimator: Any, X: FloatArray) -> FloatArray:
    steps = getattr(estimator, "steps", None)
    if not steps or len(steps) == 1:
        return X
    return np.asarray(estimator[:-1].transform(X), dtype=np.float64)


def _has_return_std(step: Any) -> bool:
    predict = getattr(step, "predict", None)
    if predict is None:
        return False
    try:
        return "return_std" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False


def uncertainty_source(model: Any) -> str:
    """Which standard deviation :func:`predictive` uses for ``model`` (see the module doc)."""
    step = _last_step(model.estimator)
    if _has_return_std(step):
        return "gaussian_process_std"
    if hasattr(step, "estimators_") and hasattr(step, "n_estimators"):
        return "random_forest_tree_spread"
    return "conformal_half_width"


def predictive(model: Any, X: FloatArray) -> Predictive:
    """Mean and standard deviation of a trained model at ``X``, on its fitting scale.

    Args:
        model: a :class:`cryoprotect.ml.train.TrainedModel` (estimator, conformal, level).
        X: ``(M, F)`` features from the model's featurizer.
    """
    source = uncertainty_source(model)
    step = _last_step(model.estimator)
    if source == "gaussian_process_std":
        mean, std = step.predict(_before_last(model.estimator, X), return_std=True)
    else:
        mean = np.asarray(model.estimator.predict(X), dtype=np.float64)
        if source == "random_forest_tree_spread":
            Xt = _before_last(model.estimator, X)
            trees = np.vstack([t.predict(Xt) for t in step.estimators_])
            std = trees.std(axis=0)
        else:
            lower, upper = model.conformal.interval(X)
            std = (upper - lower) / (2.0 * stats.norm.ppf(0.5 + model.level / 2.0))
    mean = np.asarray(mean, dtype=np.float64).reshape(-1)
    std = np.maximum(np.asarray(std, dtype=np.float64).reshape(-1), 1e-12)
    return Predictive(mean, std, source)


# --- acquisition --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Acquisition values with their exploitation and exploration terms."""

    value: FloatArray
    exploit: FloatArray
    explore: FloatArray


def expected_improvement(
    mean: FloatArray, std: FloatArray, best: float, *, xi: float = 0.0
) -> Scores:
    """Expected improvement over ``best`` (maximisation), split into its two terms.

    Args:
        mean, std: predictive mean and standard deviation (> 0).
        best: the best value measured so far.
        xi: a margin the improvement must exceed (≥ 0).
    """
    gain = np.asarray(mean, dtype=np.float64) - best - xi
    s = np.asarray(std, dtype=np.float64)
    u = gain / s
    exploit = gain * stats.norm.cdf(u)
    explore = s * stats.norm.pdf(u)
    return Scores(np.maximum(exploit + explore, 0.0), exploit, explore)


def upper_confidence_bound(
    mean: FloatArray, std: FloatArray, best: float, *, kappa: float = 2.0
) -> Scores:
    """``μ + κσ``; exploitation term ``μ − best``, exploration term ``κσ``."""
    m = np.asarray(mean, dtype=np.float64)
    explore = kappa * np.asarray(std, dtype=np.float64)
    return Scores(m + explore, m - best, explore)


def acquisition(
    rule: str, mean: FloatArray, std: FloatArray, best: float, *, xi: float, kappa: float
) -> Scores:
    """The scores of ``rule`` (one of :data:`RULES`)."""
    if rule == "expected_improvement":
        return expected_improvement(mean, std, best, xi=xi)
    if rule == "upper_confidence_bound":
        return upper_confidence_bound(mean, std, best, kappa=kappa)
    raise ValidationError(f"rule must be one of {', '.join(RULES)}", field="rule")


def standardised(domain: Any, X: FloatArray) -> FloatArray:
    """Features in the applicability domain's standardised arcsinh space."""
    return np.asarray((np.arcsinh(X) - domain.mean) / domain.scale, dtype=np.float64)


def _rms_distance(a: FloatArray, b: FloatArray) -> FloatArray:
    """RMS distance of every row of ``a`` to every row of ``b``, ``(len(a), len(b))``."""
    sq = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.sqrt(np.maximum(sq, 0.0) / a.shape[1]), dtype=np.float64)


def lipschitz_estimate(Z: FloatArray, mean: FloatArray) -> float:
    """The 95th percentile of nearest-neighbour slopes ``|Δμ| / ‖Δz‖`` among the candidates."""
    if Z.shape[0] < 2:
        return 1.0
    dist = _rms_distance(Z, Z)
    np.fill_diagonal(dist, np.inf)
    nearest = np.argmin(dist, axis=1)
    d = dist[np.arange(Z.shape[0]), nearest]
    ok = np.isfinite(d) & (d > 1e-12)
    if not ok.any():
        return 1.0
    slopes = np.abs(mean[ok] - mean[nearest[ok]]) / d[ok]
    value = float(np.percentile(slopes, LIPSCHITZ_PERCENTILE))
    return value if value > 1e-9 else 1e-9


@dataclass(frozen=True)
class Batch:
    """A selected batch: candidate indices in pick order and the value of each at its pick."""

    indices: IntArray
    value_at_pick: FloatArray
    lipschitz: float
    best_bound: float


def _softplus(x: FloatArray) -> FloatArray:
    return np.asarray(np.logaddexp(0.0, x), dtype=np.float64)


def select_batch(
    scores: Scores,
    mean: FloatArray,
    std: FloatArray,
    Z: FloatArray,
    q: int,
    *,
    best: float,
    rule: str,
    eligible: NDArray[np.bool_] | None = None,
) -> Batch:
    """Pick ``q`` candidates by local penalisation (see the module docstring).

    Args:
        scores: the acquisition of every candidate.
        mean, std: their predictive mean and standard deviation.
        Z: their standardised features ``(M, F)``.
        q: batch size.
        best: the best value measured so far.
        rule: the acquisition rule (UCB is made positive by softplus).
        eligible: candidates that may be picked (default all).
    """
    value = scores.value if rule == "expected_improvement" else _softplus(scores.value)
    value = np.array(value, dtype=np.float64)
    allowed = np.ones(value.size, dtype=bool) if eligible is None else eligible.copy()
    lip = lipschitz_estimate(Z, mean)
    top = max(best, float(mean.max())) if mean.size else best
    penalised = value.copy()
    picks: list[int] = []
    at_pick: list[float] = []
    for _ in range(min(q, int(allowed.sum()))):
        masked = np.where(allowed, penalised, -np.inf)
        j = int(np.argmax(masked))
        if not np.isfinite(masked[j]):
            break
        picks.append(j)
        at_pick.append(float(scores.value[j]))
        allowed[j] = False
        d = _rms_distance(Z, Z[j : j + 1])[:, 0]
        penalised *= stats.norm.cdf((lip * d - top + mean[j]) / std[j])
    return Batch(np.array(picks, dtype=np.intp), np.array(at_pick), lip, top)


def greedy_batch(
    mean: FloatArray, q: int, *, eligible: NDArray[np.bool_] | None = None
) -> IntArray:
    """The ``q`` candidates with the highest predicted mean (pure exploitation)."""
    m = np.where(eligible if eligible is not None else True, mean, -np.inf)
    order = np.argsort(-m, kind="stable")
    return np.asarray([int(i) for i in order[:q] if np.isfinite(m[i])], dtype=np.intp)


def label(exploit: float, explore: float) -> str:
    """``exploit`` when the exploitation term is the larger, else ``explore``."""
    return "exploit" if exploit >= explore else "explore"


def describe_rule(rule: str, *, xi: float, kappa: float) -> str:
    """The rule in one sentence (what the API's ``acquisition.description`` says)."""
    if rule == "expected_improvement":
        head = (
            f"expected improvement over the best measured value (margin ξ = {xi:g} on the "
            "fitting scale)"
        )
    else:
        head = f"upper confidence bound μ + κσ (κ = {kappa:g}, made positive by softplus)"
    return (
        f"{head}; batch by local penalisation (González et al. 2016) with a Lipschitz "
        f"constant from the {LIPSCHITZ_PERCENTILE:g}th percentile of nearest-neighbour "
        "slopes of the predicted mean"
    )
