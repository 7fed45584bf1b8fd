"""Training data for property models: formulations, conditions, measured targets, groups.

The package re-exports the public names of the former ``cryoprotect.ml.datasets`` module;
each job lives in its own submodule:

* :mod:`~cryoprotect.ml.datasets.core` — :class:`Component`, :class:`DatasetRow`,
  :class:`Dataset` (plain, JSON-serialisable rows with a content hash), :data:`FLAGS`;
* :mod:`~cryoprotect.ml.datasets.records` — :func:`dataset_from_records` for
  user-supplied data, :func:`check_unit`, :func:`parse_components`;
* :mod:`~cryoprotect.ml.datasets.cryomn` — the loaders of the CryoMN data (ML-for-CryoMN,
  MIT; see ``data/SOURCES.md``) and the known problems of that data, each a row flag.
"""

from cryoprotect.ml.datasets.core import (
    FLAGS,
    VIABILITY,
    Component,
    Dataset,
    DatasetRow,
    FloatArray,
)
from cryoprotect.ml.datasets.cryomn import (
    IngredientColumn,
    ingredient_amounts,
    load_cryomn_literature,
    load_cryomn_wetlab,
    normalise_doi,
    read_ingredient_map,
    split_dois,
)
from cryoprotect.ml.datasets.records import check_unit, dataset_from_records, parse_components

__all__ = [
    "FLAGS",
    "VIABILITY",
    "Component",
    "Dataset",
    "DatasetRow",
    "FloatArray",
    "IngredientColumn",
    "check_unit",
    "dataset_from_records",
    "ingredient_amounts",
    "load_cryomn_literature",
    "load_cryomn_wetlab",
    "normalise_doi",
    "parse_components",
    "read_ingredient_map",
    "split_dois",
]
