"""CPA addition and removal protocols: evaluation, comparison and design.

This module owns what a protocol is (a list of addition steps and a list of removal steps,
each a :class:`~cryoprotect.science.transport.Step`), how one is judged — the simulated
cell volume against the cell's osmotic tolerance limits, and the cumulative toxicity cost
of :mod:`cryoprotect.science.toxicity` — and how one is designed.

**Evaluation** (:func:`evaluate_protocol`): the cell starts isotonic without CPA, goes
through the addition steps and then the removal steps (the removal starts from the state
the addition ends in: the time spent cooled, stored and rewarmed is not modelled), all
simulated by :func:`~cryoprotect.science.transport.simulate`.

**Design** (:func:`design_protocol`) for a target CPA solution (molality of each CPA in
the isotonic carrier, :func:`~cryoprotect.science.transport.isotonic_carrier`):

* Addition ends when every CPA's intracellular molality is ≥ ``equilibration`` × its
  target; removal ends when every CPA is ≤ (1 − ``equilibration``) × its target, in the
  isotonic carrier.
* Search space. Addition: up to ``max_steps`` − 1 intermediate steps, each with the CPAs at
  a fraction f ∈ [0, 2] of the target (f > 1 is an overshoot that speeds loading), the
  carrier at a fraction s ∈ [0, 1] of isotonic (s < 1 lets the cell swell while it loads —
  the strategy Benson, Kearsley & Higgins, Cryobiology 64:144–151, 2012, found optimal), and
  a duration of 10 s (a practical handling time) to 20 time constants; then the target
  solution until loaded. Removal: up to ``max_steps`` − 1 intermediate steps with the
  CPAs at a fraction g ∈ [0, 1] of the target, optionally a non-permeating osmotic buffer
  (sucrose, 0–1 mol/kg — the sucrose dilution used for oocytes and embryos, e.g. Leibo,
  Theriogenology 21:767–790, 1984, as recalled) and a duration; then the isotonic carrier
  until unloaded. For several CPAs the fractions apply to all of them (the mixture's ratio
  is kept). The one-step protocol (K = 1) is evaluated as a candidate of its own, so the
  design is never worse than a feasible one-step protocol.
* Objective: the toxicity cost J (exact running integral of Σ m_i^α_i during the
  optimisation, :func:`~cryoprotect.science.transport.summarize`) plus a penalty of
  100 × J_ref per unit of volume fraction outside the tolerance limits shrunk by a design
  margin of 0.002 (so that the final, finer simulation stays inside the true limits).
* Optimiser: ``scipy.optimize.minimize`` with bounded Nelder–Mead in [0, 1]-scaled
  variables — first with one intermediate step, started from the best of three fixed
  points (addition: a swell step in CPA without salt, an overshoot, a half-strength step;
  removal: CPA + sucrose, sucrose alone, half-strength CPA), then with one more step made by
  splitting the longest step of the best solution into two identical halves (the same
  protocol, so the search can only improve), up to ``max_steps``, while each added step
  improves J by more than 1 %. Nothing is random, so the result is deterministic. Addition
  is optimised first; removal is then optimised from the state the designed addition ends
  in (its last step rounded up to whole seconds).
* Infeasibility: cheap necessary conditions are checked first (the protocol starts and ends
  at the isotonic volume, so the limits must bracket it: min < 1 < max); then, if no
  candidate the optimiser tried stays within the limits, :class:`InfeasibleProtocolError`
  names the binding constraint, its limit, the best value any candidate achieved and the
  phase.

The comparison protocols are simulated the same way: **one step** (target solution until
loaded; isotonic carrier until unloaded) and **equal steps** (the peers' practice: the
target split into ``max_steps`` equal increments — and removal into equal decrements — with
one fixed hold time per phase, the longest time any of its steps needs to reach
``equilibration`` of its increment from the previous step's equilibrium; the last step is
extended if the end criterion is not yet met).

Layout: ``definitions`` (constants, Limits, ProtocolEvaluation, ProtocolDesign),
``evaluation`` (evaluate_protocol), ``validation`` (request checks), ``optimiser`` (the design
problem and its search), ``comparison`` (the protocols a design is compared with),
``design`` (design_protocol), ``steps`` (design_steps: the same search against any toxicity
functional, e.g. a kinetic toxicity rate, for the cocktail designer) and ``sensitivity``
(sensitivity_band). The private names
``_Problem`` and ``_comparison`` stay importable here for ``benchmarks/protocol_design.py``.
"""

from __future__ import annotations

from cryoprotect.science.protocols.definitions import (
    DESIGN_MARGIN,
    IMPROVEMENT,
    MAX_BUFFER_MOL_PER_KG,
    MAX_EVALUATIONS,
    MAX_OVERSHOOT,
    MAX_TARGET_MOL_PER_KG,
    METHOD,
    MIN_FINAL_STEP_S,
    MIN_STEP_S,
    PENALTY,
    FloatArray,
    Limits,
    Phase,
    ProtocolDesign,
    ProtocolEvaluation,
)
from cryoprotect.science.protocols.design import _comparison as _comparison
from cryoprotect.science.protocols.design import design_protocol
from cryoprotect.science.protocols.evaluation import (
    evaluate_protocol,
)
from cryoprotect.science.protocols.optimiser import _Problem as _Problem
from cryoprotect.science.protocols.sensitivity import (
    SENSITIVITY_METHOD,
    sensitivity_band,
)
from cryoprotect.science.protocols.steps import DesignedSteps, design_steps
from cryoprotect.science.protocols.validation import check_limits, check_temperature

__all__ = [
    "DESIGN_MARGIN",
    "DesignedSteps",
    "FloatArray",
    "IMPROVEMENT",
    "Limits",
    "MAX_BUFFER_MOL_PER_KG",
    "MAX_EVALUATIONS",
    "MAX_OVERSHOOT",
    "MAX_TARGET_MOL_PER_KG",
    "METHOD",
    "MIN_FINAL_STEP_S",
    "MIN_STEP_S",
    "PENALTY",
    "Phase",
    "ProtocolDesign",
    "ProtocolEvaluation",
    "SENSITIVITY_METHOD",
    "check_limits",
    "check_temperature",
    "design_protocol",
    "design_steps",
    "evaluate_protocol",
    "sensitivity_band",
]
