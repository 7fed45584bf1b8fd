"""Named, stable features of CPA formulations: composition, solution physics, descriptors.

The package re-exports the public names of the former ``cryoprotect.ml.features``
module; each job lives in its own submodule:

* :mod:`~cryoprotect.ml.features.registry` — featurizers by name (:data:`FEATURIZERS`,
  :func:`make_featurizer`, :func:`featurizer_from_state`) and the :class:`Featurizer`
  interface;
* :mod:`~cryoprotect.ml.features.quantities` — per-row physics (:class:`RowQuantities`,
  :func:`compute_quantities`): unit conversion with its documented density closures,
  osmolality, melting point, Tg, mole-fraction-weighted descriptors;
* :mod:`~cryoprotect.ml.features.composition_physics` — the ``composition_physics_v1``
  featurizer (:class:`CompositionPhysicsFeaturizer`; its features, in order, are listed
  there).
"""

from cryoprotect.ml.datasets import Component
from cryoprotect.ml.features.composition_physics import OTHER, CompositionPhysicsFeaturizer
from cryoprotect.ml.features.quantities import (
    DESCRIPTOR_NAMES,
    MOLAR_UNITS,
    PLACEHOLDER_MOLAR_MASS_G_PER_MOL,
    SOLVENT_VOLUME_TOLERANCE,
    SURROGATE_CRC_SOLUTE,
    FloatArray,
    Resolver,
    RowQuantities,
    compute_quantities,
    is_solvent_like,
)
from cryoprotect.ml.features.registry import (
    FEATURIZERS,
    Featurizer,
    QuantityFeaturizer,
    featurizer_from_state,
    make_featurizer,
    rows_of,
)

__all__ = [
    "DESCRIPTOR_NAMES",
    "FEATURIZERS",
    "MOLAR_UNITS",
    "OTHER",
    "PLACEHOLDER_MOLAR_MASS_G_PER_MOL",
    "SOLVENT_VOLUME_TOLERANCE",
    "SURROGATE_CRC_SOLUTE",
    "Component",
    "CompositionPhysicsFeaturizer",
    "Featurizer",
    "FloatArray",
    "QuantityFeaturizer",
    "Resolver",
    "RowQuantities",
    "compute_quantities",
    "featurizer_from_state",
    "is_solvent_like",
    "make_featurizer",
    "rows_of",
]
