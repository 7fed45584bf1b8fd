"""Cocktail design: which CPAs, at what concentrations, loaded and unloaded how, so that the
solution vitrifies (or meets the user's bound) at the lowest predicted toxicity (issue 16).

**Inputs**: a cell type (membrane parameters, osmotic limits), 1–5 candidate CPAs, a kinetic
toxicity model (:class:`~cryoprotect.science.toxicity.KineticToxicityModel`: first-order
viability loss at a composition- and temperature-dependent rate k), a temperature and a
vitrification target (:class:`VitrificationTarget`: cooling/warming rates judged with the
critical-rate models where they cover the composition, otherwise a minimum total
concentration or a melting-point bound the user sets).

**Objective**: the predicted surviving fraction of the whole protocol,
S = exp(−∫ k(m_i(t), T(t)) dt), along the intracellular molality path m_i(t) of the
two-parameter transport model with every permeating CPA (:mod:`~cryoprotect.science.transport`)
— addition and removal both count. The protocol optimiser of
:mod:`~cryoprotect.science.protocols` minimises −ln S instead of the Benson cost
(:func:`~cryoprotect.science.protocols.design_steps`).

**Search** (:func:`design_cocktail`, details in :data:`METHOD`): the toxicity of a solution
grows with its concentration while its vitrification margin grows too, so each lattice
proportion of the candidates is taken to the least total that meets the constraint; a
one-step loading/unloading proxy ranks them; the two best get quick protocol designs and the
better one the full design. The Pareto front (surviving fraction vs. margin to the
vitrification constraint) repeats the step at margins k × the criterion's step.

**Each point** carries its composition (mol/kg and % w/w), its steps, the predicted
surviving fraction with a band propagated from the model's ``parameter_draws`` (or "no band:
the model has no parameter uncertainty"), and the constraints that bind.

Layout: ``rate`` (the rate as an ODE integrand, survival along a path), ``vitrification``
(criteria and margins), ``search`` (lattice, boundary, proxy), ``result`` (dataclasses),
``design`` (:func:`design_cocktail`, :func:`design_for_composition`).
"""

from __future__ import annotations

from cryoprotect.science.cocktail.design import (
    METHOD,
    design_cocktail,
    design_for_composition,
)
from cryoprotect.science.cocktail.rate import (
    BAND_LEVEL,
    BAND_METHOD,
    BENSON_RATE_NOTE,
    NO_BAND,
    Survival,
    benson_rate_model,
    path_survival,
    rate_integrand,
)
from cryoprotect.science.cocktail.result import Binding, CocktailDesign, CocktailPoint
from cryoprotect.science.cocktail.search import PROXY_METHOD, fraction_grid
from cryoprotect.science.cocktail.vitrification import (
    LEVEL_STEPS,
    VitrificationCheck,
    VitrificationTarget,
    check_vitrification,
    mass_percents,
)

__all__ = [
    "BAND_LEVEL",
    "BAND_METHOD",
    "BENSON_RATE_NOTE",
    "Binding",
    "CocktailDesign",
    "CocktailPoint",
    "LEVEL_STEPS",
    "METHOD",
    "NO_BAND",
    "PROXY_METHOD",
    "Survival",
    "VitrificationCheck",
    "VitrificationTarget",
    "benson_rate_model",
    "check_vitrification",
    "design_cocktail",
    "design_for_composition",
    "fraction_grid",
    "mass_percents",
    "path_survival",
    "rate_integrand",
]
