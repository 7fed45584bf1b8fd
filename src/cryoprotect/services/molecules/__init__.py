"""Molecules: register, read, search, edit, delete and import, under the caller's identity.

Split by job:

- :mod:`.records`: the typed records (:class:`MoleculeRecord`, :class:`MoleculeDetail`,
  :class:`PropertyRecord`), scope checks, duplicate and name
  queries shared with mixtures, file import and the reference data;
- :mod:`.registry`: register (structure, lookup, structure-less), read, edit, delete,
  drawings and the structure check;
- :mod:`.search`: similarity, bounded substructure search and the background count;
- :mod:`.imports`: file import as a use case (API and CLI);
- :mod:`.service`: :class:`MoleculeService`, the one object that combines them.

This package re-exports the service, the records and what other services use; the rest is
imported from its module.
"""

from cryoprotect.services.molecules.records import (
    MoleculeDetail,
    MoleculeRecord,
    PropertyRecord,
    check_scope,
    find_library_molecule,
    insert_properties,
    name_matches,
)
from cryoprotect.services.molecules.search import SearchBudget
from cryoprotect.services.molecules.service import MoleculeService

__all__ = [
    "MoleculeDetail",
    "MoleculeRecord",
    "MoleculeService",
    "PropertyRecord",
    "SearchBudget",
    "check_scope",
    "find_library_molecule",
    "insert_properties",
    "name_matches",
]
