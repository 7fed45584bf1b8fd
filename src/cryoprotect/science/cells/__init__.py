"""Cell types: the membrane and osmotic parameters that membrane-transport models need.

This module owns the description of a cell as the two-parameter transport model sees it
(:mod:`cryoprotect.science.transport`): its hydraulic conductivity Lp, its permeability Ps
to each cryoprotectant (CPA), their Arrhenius activation energies and the temperature they
were measured at, its osmotically inactive volume fraction, isotonic volume, membrane area
and isotonic osmolality, and its osmotic tolerance limits (the smallest and largest volume,
as a fraction of the isotonic volume, the cell survives).

Units are fixed and appear in every name: Lp in µm/min/atm (the unit cryobiology papers
report), Ps in µm/s, activation energies in kJ/mol, volumes in µm³, areas in µm²,
osmolality in osmol/kg water, temperatures in °C.

**Built-in cell types** come from ``params/cell_types.csv``, one row per value (long
format) with the columns ``cell_type, parameter, solute, value, unit, temperature_c,
source, provenance, verified``. ``provenance`` is ``measured``, ``fitted`` or
``estimated``; ``verified`` says whether the number was seen in its source (or in an
abstract quoting it). Rows ``name`` and ``species`` carry display text.

**User cell types** travel as the JSON object of :meth:`CellType.as_dict` — the shape the
API accepts and the database stores (``cell_types.parameters``)::

    {
      "key": "my_cells",                      # optional; derived from the name if absent
      "name": "My cells", "species": "Homo sapiens",
      "lp_um_per_min_atm": 0.5, "lp_activation_energy_kj_per_mol": 50,
      "reference_temperature_c": 22,
      "inactive_volume_fraction": 0.3, "isotonic_volume_um3": 1767,
      "surface_area_um2": 706.9, "isotonic_osmolality_osmol_per_kg": 0.29,
      "min_volume_fraction": 0.6, "max_volume_fraction": 1.4,
      "permeabilities": [
        {"solute": "Dimethyl sulfoxide", "ps_um_per_s": 0.3,
         "activation_energy_kj_per_mol": 97, "reference_temperature_c": 22,   # optional
         "reflection_coefficient": null,                                      # optional
         "sources": {...}, "provenance": {...}, "verified": {...}}           # optional
      ],
      "sources": {"lp_um_per_min_atm": "citation", ...},          # optional
      "provenance": {"lp_um_per_min_atm": "measured", ...},       # optional
      "verified": {"lp_um_per_min_atm": true, ...}                # optional
    }

Values a user supplies without a provenance tag are tagged ``user`` and, without a source,
``"user-supplied"``. :meth:`CellType.from_dict` checks every field and raises
:class:`~cryoprotect.errors.ValidationError` with ``field = "parameters.<name>"`` (or
``"parameters.permeabilities[i].<name>"``) naming the first problem.

Layout: ``schema`` (parameter names, units, provenance tags, Permeability), ``validation``
(checks of user-supplied parameters), ``cell_type`` (CellType), ``table`` (the shipped
table and lookup) and ``literature`` (published spread and parameter ranges).
"""

from __future__ import annotations

from cryoprotect.science.cells.cell_type import (
    CellType,
)
from cryoprotect.science.cells.literature import (
    LITERATURE_COLUMNS,
    LITERATURE_TABLE,
    RANGE_PARAMETERS,
    ParameterRange,
    PublishedValue,
    load_literature,
    parameter_ranges,
    published_values,
    shipped_value,
    with_parameter,
)
from cryoprotect.science.cells.schema import (
    CELL_COLUMNS,
    CELL_PARAMETERS,
    CELL_TABLE,
    MAX_TEMPERATURE_C,
    MIN_TEMPERATURE_C,
    NUMERIC_FIELDS,
    PARAMS_DIR,
    PROVENANCES,
    SOLUTE_PARAMETERS,
    TABLE_PROVENANCES,
    TEXT_PARAMETERS,
    USER_SOURCE,
    Permeability,
)
from cryoprotect.science.cells.table import (
    builtin_cell_types,
    get_cell_type,
    load_cell_table,
)
from cryoprotect.science.cells.validation import (
    slugify,
)

__all__ = [
    "CELL_COLUMNS",
    "CELL_PARAMETERS",
    "CELL_TABLE",
    "CellType",
    "LITERATURE_COLUMNS",
    "LITERATURE_TABLE",
    "MAX_TEMPERATURE_C",
    "MIN_TEMPERATURE_C",
    "NUMERIC_FIELDS",
    "PARAMS_DIR",
    "PROVENANCES",
    "ParameterRange",
    "Permeability",
    "PublishedValue",
    "RANGE_PARAMETERS",
    "SOLUTE_PARAMETERS",
    "TABLE_PROVENANCES",
    "TEXT_PARAMETERS",
    "USER_SOURCE",
    "builtin_cell_types",
    "get_cell_type",
    "load_cell_table",
    "load_literature",
    "parameter_ranges",
    "published_values",
    "shipped_value",
    "slugify",
    "with_parameter",
]
