"""``.eln`` archives (RO-Crate 1.1, the ELN Consortium's exchange format) of experiments,
mixtures and protocols with what they cite, and their import into another install.

- :mod:`.archive`: the zip and its ``ro-crate-metadata.json`` (``rocrate`` package), the
  safety checks of reading;
- :mod:`.export`: what an export holds, read under the caller's identity;
- :mod:`.importer`: creating an archive's records in one transaction;
- :mod:`.service`: :class:`ElnService`, the use cases.
"""

from cryoprotect.services.eln.archive import MEDIA_TYPE
from cryoprotect.services.eln.importer import ImportedRecord, ImportReport
from cryoprotect.services.eln.service import ElnService

__all__ = ["MEDIA_TYPE", "ElnService", "ImportReport", "ImportedRecord"]
