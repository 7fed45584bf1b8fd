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

Split by job:

- :mod:`.space`: the composition model, its training rows, the allowed ingredients and
  ranges, candidates as rows;
- :mod:`.candidates`: featurising candidates with the model's own conversion;
- :mod:`.constraints`: makeable, osmolality and melting-point checks;
- :mod:`.service`: :class:`SuggestionService` (sample, score, check, pick a batch).
- :mod:`.records`: what it returns (:class:`SuggestionBatch` of :class:`Suggestion`).
"""

from cryoprotect.services.suggestions.candidates import (
    FULL_BATCH_ATTEMPTS,
    Featurized,
    Piece,
    featurize,
)
from cryoprotect.services.suggestions.constraints import (
    check_candidate,
    makeable,
    physics,
    satisfies_max_melting_point,
    satisfies_max_osmolality,
    solution_components,
)
from cryoprotect.services.suggestions.records import AcquisitionRule, Suggestion, SuggestionBatch
from cryoprotect.services.suggestions.service import (
    DEFAULT_CANDIDATES,
    FINALISTS_PER_PICK,
    MAX_BATCH_SIZE,
    MAX_CANDIDATES,
    MAX_PHYSICS_CHECKS,
    NOT_CHECKED,
    SuggestionService,
)
from cryoprotect.services.suggestions.space import (
    DMSO,
    candidate_rows,
    composition_model,
    default_ingredients,
    requested_ingredients,
    training_rows,
)

__all__ = [
    "AcquisitionRule",
    "DEFAULT_CANDIDATES",
    "DMSO",
    "FINALISTS_PER_PICK",
    "FULL_BATCH_ATTEMPTS",
    "MAX_BATCH_SIZE",
    "MAX_CANDIDATES",
    "MAX_PHYSICS_CHECKS",
    "NOT_CHECKED",
    "Featurized",
    "Piece",
    "Suggestion",
    "SuggestionBatch",
    "SuggestionService",
    "candidate_rows",
    "check_candidate",
    "composition_model",
    "default_ingredients",
    "featurize",
    "makeable",
    "physics",
    "requested_ingredients",
    "satisfies_max_melting_point",
    "satisfies_max_osmolality",
    "solution_components",
    "training_rows",
]
