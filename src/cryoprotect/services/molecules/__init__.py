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
"""

from cryoprotect.services.molecules.records import (
    EDITABLE_FIELDS,
    IDENTIFIERS_METHOD,
    RANGE_FILTERS,
    MoleculeDetail,
    MoleculeRecord,
    PropertyRecord,
    check_scope,
    clean_synonyms,
    duplicate_query,
    find_library_molecule,
    insert_properties,
    name_matches,
    visible_molecule,
)
from cryoprotect.services.molecules.search import SearchBudget, check_query
from cryoprotect.services.molecules.service import MoleculeService

__all__ = [
    "EDITABLE_FIELDS",
    "IDENTIFIERS_METHOD",
    "RANGE_FILTERS",
    "MoleculeDetail",
    "MoleculeRecord",
    "MoleculeService",
    "PropertyRecord",
    "SearchBudget",
    "check_query",
    "check_scope",
    "clean_synonyms",
    "duplicate_query",
    "find_library_molecule",
    "insert_properties",
    "name_matches",
    "visible_molecule",
]
