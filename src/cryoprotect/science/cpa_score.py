"""A transparent CPA-likeness score: documented features, smooth transforms, fixed weights.

The score ranks molecules by how much they resemble known cryoprotective agents in the
properties that are thought to matter, so that a library can be screened and a chemist
can see *why* a molecule ranks where it does. It is a heuristic prior, not a prediction of
viability or toxicity (those come from models trained on experiments, in ``ml/``).

Each feature is a number computed from :func:`cryoprotect.science.descriptors.compute_descriptors`
output, mapped to a desirability between 0 and 1 by a smooth, monotonic transform with
documented parameters, and multiplied by a weight. The weights sum to 1, so the score is
in [0, 1] and is exactly the sum of the components' contributions. Nothing depends on the
molecule's name or identity: the score sees only the descriptor values listed in
:data:`FEATURES`.

Transforms (x is the feature value; all parameters are in :data:`FEATURES`):

* ``saturating``: 1 − exp(−x / scale), rising from 0 and levelling off.
* ``hill_decreasing``: 1 / (1 + (x / midpoint)^steepness), 1 at x = 0, 0.5 at the midpoint.
* ``logistic_decreasing``: 1 / (1 + exp((x − midpoint) / scale)), 0.5 at the midpoint.
* ``exp_decay``: exp(−|x| / scale), 1 at x = 0.

The weights and midpoints are set by reasoning from the literature cited on each feature,
not fitted to the validation set in ``benchmarks/cpa_score_validation.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryoprotect.science.descriptors import DESCRIPTOR_METHOD

SCORE_VERSION = "cpa-likeness-1"
METHOD = f"{SCORE_VERSION} ({DESCRIPTOR_METHOD} descriptors)"

# References (checked against PubMed / publisher records unless noted).
FAHY_2004 = (
    "Fahy GM, Wowk B, Wu J, Paynter S (2004) Improved vitrification solutions based on the "
    "predictability of vitrification solution toxicity. Cryobiology"
)
BEST_2015 = (
    "Best BP (2015) Cryoprotectant toxicity: facts, issues, and questions. "
    "Rejuvenation Res 18(5):422–436"
)
ELLIOTT_2017 = (
    "Elliott GD, Wang S, Fuller BJ (2017) Cryoprotectants: a review of the actions and "
    "applications of cryoprotective solutes that modulate cell recovery from ultra-low "
    "temperatures. Cryobiology, pp. 74–91"
)
FINKELSTEIN_1976 = (
    "Finkelstein A (1976) Water and nonelectrolyte permeability of lipid bilayer membranes. "
    "J Gen Physiol 68(2):127–135"
)
WILDMAN_CRIPPEN_1999 = (
    "Wildman SA, Crippen GM (1999) Prediction of physicochemical parameters by atomic "
    "contributions. J Chem Inf Comput Sci 39:868–873"
)


@dataclass(frozen=True)
class ScoreComponent:
    """One feature's part of a CPA score.

    Attributes:
        name: the feature name (see :data:`FEATURES`).
        value: the feature value computed from the descriptors, in ``unit``.
        unit: unit of ``value``.
        weight: the feature's weight (weights sum to 1).
        contribution: weight × desirability, the feature's share of the score (0–weight).
        rationale: why the feature matters for a CPA and how it is transformed.
        citation: where the rationale comes from.
    """

    name: str
    value: float
    unit: str
    weight: float
    contribution: float
    rationale: str
    citation: str


@dataclass(frozen=True)
class CpaScore:
    """A CPA-likeness score with its components.

    Attributes:
        score: the sum of the components' contributions, between 0 and 1.
        components: one entry per feature, in the order of :data:`FEATURES`.
        method: the score version and the descriptor method (provenance).
    """

    score: float
    components: tuple[ScoreComponent, ...]
    method: str


@dataclass(frozen=True)
class Feature:
    """A documented score feature: how to compute it, transform it and weigh it.

    Attributes:
        name: feature name.
        unit: unit of the feature value.
        inputs: the descriptor names the value is computed from.
        compute: value from the descriptors (only the ``inputs`` are read).
        transform: one of the transforms in the module docstring.
        parameters: the transform's parameters.
        weight: weight in the score.
        rationale: the argument for the feature and its parameters.
        citation: the supporting literature.
    """

    name: str
    unit: str
    inputs: tuple[str, ...]
    compute: Callable[[Mapping[str, float]], float]
    transform: str
    parameters: Mapping[str, float]
    weight: float
    rationale: str
    citation: str


def _hbond_per_100(d: Mapping[str, float]) -> float:
    mass = d["molecular_weight"]
    return 0.0 if mass <= 0 else (d["hbd"] + d["hba"]) * 100.0 / mass


MAX_RATIO = 100.0
"""Cap of the nonpolar-to-polar ratio (molecules without N or O), keeping values finite."""


def _carbons_per_polar_atom(d: Mapping[str, float]) -> float:
    polar = d["polar_atoms"]
    return MAX_RATIO if polar <= 0 else min(d["carbon_atoms"] / polar, MAX_RATIO)


FEATURES: tuple[Feature, ...] = (
    Feature(
        name="hbond_capacity_per_mass",
        unit="(donors + acceptors) per 100 g/mol",
        inputs=("hbd", "hba", "molecular_weight"),
        compute=_hbond_per_100,
        transform="saturating",
        parameters={"scale": 3.0},
        weight=0.25,
        rationale=(
            "CPAs act by hydrogen bonding to water, which lowers the freezing point and "
            "favours vitrification; at equal mass concentration, more donor and acceptor "
            "sites per gram mean more water bound. Desirability rises as "
            "1 − exp(−x/3): 0.5 at about 2 sites per 100 g/mol, levelling off above 6."
        ),
        citation=ELLIOTT_2017,
    ),
    Feature(
        name="nonpolar_to_polar_ratio",
        unit="carbon atoms per N/O atom",
        inputs=("carbon_atoms", "polar_atoms"),
        compute=_carbons_per_polar_atom,
        transform="hill_decreasing",
        parameters={"midpoint": 2.5, "steepness": 3.0},
        weight=0.25,
        rationale=(
            "In the spirit of Fahy's qv* (water molecules per CPA polar group at the "
            "concentration needed to vitrify), which Fahy et al. related to vitrification "
            "solution toxicity: a molecule whose polar groups are diluted by nonpolar "
            "carbon binds less water per molecule and is less CPA-like. Here the ratio of "
            "carbon atoms to N and O atoms is a per-molecule proxy (not qv* itself); "
            "desirability is 1/(1 + (x/2.5)^3): 0.94 at 1, 0.5 at 2.5, 0.2 at 4 (a "
            "molecule without N or O is capped at 100, desirability ≈ 0)."
        ),
        citation=f"{FAHY_2004}; reviewed in {BEST_2015}",
    ),
    Feature(
        name="molecular_weight",
        unit="g/mol",
        inputs=("molecular_weight",),
        compute=lambda d: d["molecular_weight"],
        transform="hill_decreasing",
        parameters={"midpoint": 200.0, "steepness": 3.0},
        weight=0.15,
        rationale=(
            "Permeating CPAs are small molecules that cross cell membranes within minutes; "
            "disaccharides and larger solutes act only from outside the cell. Bilayer "
            "permeation follows a solubility-diffusion mechanism, and diffusion slows with "
            "size. Desirability is 1/(1 + (M/200)^3): 0.9 at 92 g/mol, 0.16 at 342 g/mol."
        ),
        citation=f"{ELLIOTT_2017}; {FINKELSTEIN_1976}",
    ),
    Feature(
        name="net_formal_charge",
        unit="e",
        inputs=("formal_charge",),
        compute=lambda d: d["formal_charge"],
        transform="exp_decay",
        parameters={"scale": 1.0},
        weight=0.15,
        rationale=(
            "Ions do not dissolve in the hydrocarbon core of the membrane, so a net charge "
            "blocks passive permeation (solubility-diffusion), and charged solutes add to "
            "the ionic strength that CPAs are meant to dilute. Desirability is exp(−|q|): "
            "1 for neutral molecules and zwitterions, 0.37 at ±1."
        ),
        citation=FINKELSTEIN_1976,
    ),
    Feature(
        name="clogp_crippen",
        unit="log10 (dimensionless)",
        inputs=("clogp_crippen",),
        compute=lambda d: d["clogp_crippen"],
        transform="logistic_decreasing",
        parameters={"midpoint": 1.0, "scale": 0.5},
        weight=0.20,
        rationale=(
            "CPAs are used at molar concentrations, so they must be very water-soluble; "
            "calculated logP (Wildman–Crippen) is the solubility proxy. Desirability is "
            "1/(1 + exp((clogP − 1)/0.5)): 0.88 at 0, 0.5 at 1, 0.02 at 3."
        ),
        citation=f"{ELLIOTT_2017}; {WILDMAN_CRIPPEN_1999}",
    ),
)
"""The score's features, weights and transforms (weights sum to 1)."""


def _desirability(feature: Feature, x: float) -> float:
    p = feature.parameters
    if feature.transform == "saturating":
        return 1.0 - math.exp(-max(x, 0.0) / p["scale"])
    if feature.transform == "hill_decreasing":
        ratio: float = (max(x, 0.0) / p["midpoint"]) ** p["steepness"]
        return 1.0 / (1.0 + ratio)
    if feature.transform == "logistic_decreasing":
        z = (x - p["midpoint"]) / p["scale"]
        return 0.0 if z > 700 else 1.0 / (1.0 + math.exp(z))
    if feature.transform == "exp_decay":
        return math.exp(-abs(x) / p["scale"])
    raise ValueError(f"unknown transform {feature.transform!r}")  # a programming error


def cpa_score(descriptors: Mapping[str, float]) -> CpaScore:
    """Score how CPA-like a molecule is from its descriptors, with the reasons.

    Args:
        descriptors: output of :func:`~cryoprotect.science.descriptors.compute_descriptors`
            (only the inputs named in :data:`FEATURES` are read).

    Returns:
        The score in [0, 1] (sum of the components' contributions), one component per
        feature, and the method string.

    Raises:
        KeyError: a descriptor the score needs is missing.
    """
    components = []
    for feature in FEATURES:
        value = feature.compute(descriptors)
        contribution = feature.weight * _desirability(feature, value)
        components.append(
            ScoreComponent(
                name=feature.name,
                value=value,
                unit=feature.unit,
                weight=feature.weight,
                contribution=contribution,
                rationale=feature.rationale,
                citation=feature.citation,
            )
        )
    score = math.fsum(c.contribution for c in components)
    return CpaScore(score=score, components=tuple(components), method=METHOD)
