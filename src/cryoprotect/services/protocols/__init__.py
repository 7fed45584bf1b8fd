"""Cell types and CPA loading/unloading protocols.

- :mod:`.cell_types`: membrane-transport parameter sets, shipped and user-defined;
- :mod:`.design`: protocol design over the science modules, and saved protocols.
"""

from cryoprotect.services.protocols.cell_types import (
    CellTypeRecord,
    CellTypeService,
    load_reference_cell_types,
)
from cryoprotect.services.protocols.design import (
    DesignResult,
    ProtocolRecord,
    ProtocolService,
    target_molality,
)

__all__ = [
    "CellTypeRecord",
    "CellTypeService",
    "DesignResult",
    "ProtocolRecord",
    "ProtocolService",
    "load_reference_cell_types",
    "target_molality",
]
