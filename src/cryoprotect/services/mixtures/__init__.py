"""Mixtures (CPA solutions): create, read, list, edit with history, clone, delete; their
solution properties, comparisons and binary phase diagrams.

- :mod:`.records`: the typed records the service returns (the API's schemas dump them)
- :mod:`.service`: :class:`MixtureService`, the use cases, one transaction each
"""

from cryoprotect.services.mixtures.records import (
    ComponentRecord,
    MixtureProperties,
    MixtureRecord,
    MixtureVersionRecord,
)
from cryoprotect.services.mixtures.service import (
    MAX_COMPONENTS,
    MixtureService,
    visible_components,
)

__all__ = [
    "MAX_COMPONENTS",
    "ComponentRecord",
    "MixtureProperties",
    "MixtureRecord",
    "MixtureService",
    "MixtureVersionRecord",
    "visible_components",
]
