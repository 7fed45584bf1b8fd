"""Machine learning: features, training, validation, model registry.

Modules (pure: numpy, scipy, scikit-learn, skops and ``cryoprotect.science`` only):

* :mod:`~cryoprotect.ml.datasets` — :class:`Dataset` rows, content hash, CryoMN loaders,
  user records;
* :mod:`~cryoprotect.ml.components` — the component library names are resolved against;
* :mod:`~cryoprotect.ml.features` — named features (composition, physics, descriptors);
* :mod:`~cryoprotect.ml.molecule_features` — molecule datasets (SMILES + property),
  descriptor + Morgan featurizer, scaffold groups, FreeSolv;
* :mod:`~cryoprotect.ml.train` — algorithm registry, grouped nested CV, :func:`train`,
  :func:`predict`;
* :mod:`~cryoprotect.ml.conformal` — CV+ prediction intervals with group folds;
* :mod:`~cryoprotect.ml.domain` — the applicability domain;
* :mod:`~cryoprotect.ml.metrics` and :mod:`~cryoprotect.ml.validation` — metrics,
  baselines, prospective tests;
* :mod:`~cryoprotect.ml.artifacts` — manifest + skops weights, checksummed;
* :mod:`~cryoprotect.ml.registry`, :mod:`~cryoprotect.ml.synthetic` — helpers.
"""

# Modules that register featurizers and algorithms by name (a saved model names them).
from cryoprotect.ml import cryomn_v2 as _cryomn_v2  # noqa: E402,F401
from cryoprotect.ml import molecule_features as _molecule_features  # noqa: E402,F401
from cryoprotect.ml import noise as _noise  # noqa: E402,F401
