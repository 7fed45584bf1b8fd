"""Batched Levenberg–Marquardt fitting of the kinetic toxicity model (used by :mod:`.fitting`).

Works on the *fitting scale* u: log of every positive parameter, the value itself for
interaction coefficients; fixed parameters are not in u. Every function is batched over
rows of u (starting points, bootstrap replicates, leave-one-out refits) so that hundreds
of small fits cost a few numpy operations per iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cryoprotect.science.toxicity.kinetic import FloatArray, rates_and_jacobian

# bounds on the fitting scale (log for positive parameters)
LOG_BOUNDS = {
    "k_spec": (math.log(1e-14), math.log(10.0)),
    "k_ns": (math.log(1e-14), math.log(10.0)),
    "beta_spec": (math.log(0.05), math.log(12.0)),
    "beta_ns": (math.log(0.05), math.log(12.0)),
    "ea_kj_per_mol": (math.log(0.5), math.log(400.0)),
}
LINEAR_BOUND = 10.0  # |c_int| in 1/s
NDIntArray = NDArray[np.int_]
STEP_TOLERANCE = 1e-7
"""Converged when the step on the fitting scale is below this twice in a row ..."""
GAIN_TOLERANCE = 1e-9
"""... or the relative decrease of the cost is."""


@dataclass(frozen=True)
class Design:
    cpas: tuple[str, ...]
    names: tuple[str, ...]
    free: FloatArray  # (q,) indices of free parameters
    positive: FloatArray  # (q,) bool: log scale
    lower: FloatArray
    upper: FloatArray
    base: FloatArray  # (p,) values incl. fixed
    x: FloatArray  # (n_cpas, n)
    time: FloatArray
    temperature: FloatArray
    t_ref_k: float


def to_values(design: Design, u: FloatArray) -> FloatArray:
    values = np.repeat(design.base[None, :], u.shape[0], axis=0)
    values[:, design.free] = np.where(design.positive, np.exp(u), u)
    return values


def to_u(design: Design, values: FloatArray) -> FloatArray:
    free = values[..., design.free]
    return np.where(design.positive, np.log(np.where(design.positive, free, 1.0)), free)


def predict(
    design: Design, u: FloatArray, *, jacobian: bool
) -> tuple[FloatArray, FloatArray | None]:
    """Viability (B, n) and d viability / du (B, n, q)."""
    values = to_values(design, u)
    rate, grad = rates_and_jacobian(
        design.cpas,
        design.names,
        values,
        design.x,
        design.temperature,
        design.t_ref_k,
        jacobian=jacobian,
    )
    viability = np.exp(-rate * design.time)
    if grad is None:
        return viability, None
    dv = (
        grad[:, :, design.free] * np.where(design.positive, values[:, design.free], 1.0)[:, None, :]
    )
    return viability, -(design.time * viability)[:, :, None] * dv


def _cost(design: Design, u: FloatArray, y: FloatArray, w: FloatArray) -> FloatArray:
    viability, _ = predict(design, u, jacobian=False)
    return np.asarray(np.sum(w * (y - viability) ** 2, axis=1), dtype=float)


Check = Callable[[], None]
"""Called between iterations; raises to stop a fit (a job's cancellation)."""


def levenberg_marquardt(
    design: Design,
    u0: FloatArray,
    y: FloatArray,
    w: FloatArray,
    *,
    max_iter: int = 300,
    check: Check | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Minimise Σ w (y − V(u))² for a batch of weight vectors; returns (u, cost).

    ``check`` (optional) is called before every iteration; whatever it raises stops the fit.
    """
    u = np.clip(u0.copy(), design.lower, design.upper)
    batch, q = u.shape
    lam = np.full(batch, 1e-3)
    cost = _cost(design, u, y, w)
    active = np.ones(batch, dtype=bool)
    stall = np.zeros(batch, dtype=int)
    for _ in range(max_iter):
        if check is not None:
            check()
        if not active.any():
            break
        idx = np.flatnonzero(active)
        viability, jac = predict(design, u[idx], jacobian=True)
        assert jac is not None
        r = (y[idx] if y.ndim == 2 else y) - viability
        wj = jac * w[idx][:, :, None]
        a = np.einsum("bni,bnj->bij", wj, jac)
        g = np.einsum("bni,bn->bi", wj, r)
        diag = np.einsum("bii->bi", a)
        damped = a + (lam[idx][:, None] * np.maximum(diag, 1e-12))[:, :, None] * np.eye(q)
        step = np.linalg.solve(damped + 1e-300 * np.eye(q), g[:, :, None])[:, :, 0]
        trial = np.clip(u[idx] + step, design.lower, design.upper)
        trial_cost = _cost(design, trial, y[idx] if y.ndim == 2 else y, w[idx])
        better = trial_cost < cost[idx]
        gain = np.where(better, (cost[idx] - trial_cost) / np.maximum(cost[idx], 1e-300), 0.0)
        u[idx[better]] = trial[better]
        cost[idx[better]] = trial_cost[better]
        lam[idx] = np.where(
            better, np.maximum(lam[idx] / 3.0, 1e-9), np.minimum(lam[idx] * 4.0, 1e12)
        )
        tiny = np.max(np.abs(step), axis=1) < STEP_TOLERANCE
        small = tiny | (better & (gain < GAIN_TOLERANCE)) | (lam[idx] >= 1e12)
        stall[idx] = np.where(small, stall[idx] + 1, 0)
        active[idx] = stall[idx] < 2
    return u, cost


def starting_points(design: Design, y: FloatArray) -> FloatArray:
    exposed = design.time > 0
    loss = -np.log(np.clip(y[exposed], 0.02, 0.98)) / design.time[exposed]
    typical = float(np.median(loss)) if loss.size else 1e-4
    load = float(np.median(design.x.sum(axis=0)[exposed])) if exposed.any() else 1.0
    starts = []
    for factor in (0.1, 1.0, 10.0):
        for beta in (1.0, 2.5):
            base = typical * factor / max(load, 1e-3) ** beta
            values = design.base.copy()
            for i, name in enumerate(design.names):
                kind = name.split("[")[0]
                if kind in ("k_spec", "k_ns"):
                    values[i] = base if kind == "k_spec" else base / 10.0
                elif kind in ("beta_spec", "beta_ns"):
                    values[i] = beta
                elif kind == "ea_kj_per_mol":
                    values[i] = 60.0
                elif kind == "c_int":
                    values[i] = 0.0
            fixed = ~np.isin(np.arange(len(design.names)), design.free)
            values[fixed] = design.base[fixed]
            starts.append(to_u(design, values[None, :])[0])
    return np.asarray(np.clip(np.array(starts), design.lower, design.upper), dtype=float)


def fit_point(
    design: Design, y: FloatArray, w: FloatArray, check: Check | None = None
) -> FloatArray:
    starts = starting_points(design, y)
    u, cost = levenberg_marquardt(
        design, starts, y, np.repeat(w[None, :], len(starts), axis=0), check=check
    )
    return np.asarray(u[int(np.argmin(cost))])


def information(design: Design, u: FloatArray, w: FloatArray) -> FloatArray:
    """Σ w J Jᵀ at each u of a batch (B, q, q) — unscaled by σ²."""
    _, jac = predict(design, u, jacobian=True)
    assert jac is not None
    return np.asarray(np.einsum("bni,bnj->bij", jac * w[:, :, None], jac), dtype=float)
