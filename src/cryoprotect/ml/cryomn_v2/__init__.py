"""The CryoMN v2 release: parsed experimental conditions, per-source noise, the v2 loaders.

The package re-exports the public names of the former ``cryoprotect.ml.cryomn_v2``
module; each job lives in its own submodule:

* :mod:`~cryoprotect.ml.cryomn_v2.conditions` — the reference files
  (:data:`V2_DIR`, :data:`V1_DIR`, :data:`SOURCE`) and the experimental conditions parsed
  from the raw table's free text (:func:`parse_record`, :func:`parse_raw_table`; the
  rules are written there);
* :mod:`~cryoprotect.ml.cryomn_v2.loaders` — the v2 loaders (:func:`load_v2_literature`,
  :func:`load_v2_wetlab`, :func:`load_v2_feedback`, :func:`load_v2_all`), what v2 adds to
  v1 and how rows are grouped;
* :mod:`~cryoprotect.ml.cryomn_v2.featurizer` — the ``composition_conditions_v2``
  featurizer (:class:`CompositionConditionsFeaturizer`).
"""

from cryoprotect.ml.cryomn_v2.conditions import (
    AMBIGUOUS,
    ASSAY_PATTERNS,
    CATEGORICAL_CONDITIONS,
    CELL_TYPE_PATTERNS,
    COOLING,
    COOLING_RATE,
    DOI,
    INGREDIENTS,
    MEDIUM,
    MEDIUM_PATTERNS,
    MSC_UNSPECIFIED,
    NOISE,
    REFERENCE_DIR,
    SOURCE,
    UNKNOWN,
    V1_DIR,
    V2_DIR,
    FloatArray,
    ParsedConditions,
    parse_assay,
    parse_cell_type,
    parse_cooling,
    parse_medium,
    parse_raw_table,
    parse_record,
    read_raw_table,
)
from cryoprotect.ml.cryomn_v2.featurizer import CompositionConditionsFeaturizer
from cryoprotect.ml.cryomn_v2.loaders import (
    condition_counts,
    load_v2_all,
    load_v2_feedback,
    load_v2_literature,
    load_v2_wetlab,
)

__all__ = [
    "AMBIGUOUS",
    "ASSAY_PATTERNS",
    "CATEGORICAL_CONDITIONS",
    "CELL_TYPE_PATTERNS",
    "COOLING",
    "COOLING_RATE",
    "DOI",
    "INGREDIENTS",
    "MEDIUM",
    "MEDIUM_PATTERNS",
    "MSC_UNSPECIFIED",
    "NOISE",
    "REFERENCE_DIR",
    "SOURCE",
    "UNKNOWN",
    "V1_DIR",
    "V2_DIR",
    "CompositionConditionsFeaturizer",
    "FloatArray",
    "ParsedConditions",
    "condition_counts",
    "load_v2_all",
    "load_v2_feedback",
    "load_v2_literature",
    "load_v2_wetlab",
    "parse_assay",
    "parse_cell_type",
    "parse_cooling",
    "parse_medium",
    "parse_raw_table",
    "parse_record",
    "read_raw_table",
]
