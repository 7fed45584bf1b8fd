"""Toxicity learned from the lab's own exposure experiments, and cocktail design (issue 16).

- :mod:`.exposure`: which experiments are exposure data and their observations;
- :mod:`.importer`: the exposure CSV (template, row-by-row checks);
- :mod:`.records`: the records the API dumps, and the stored model's round trip;
- :mod:`.service`: :class:`ToxicityService` (import, fit as a job, list, read, delete);
- :mod:`.cocktails`: :class:`CocktailService` (request checks, the designer as a job).
"""

from cryoprotect.services.toxicity.cocktails import CocktailService, DesignFailed, PreparedDesign
from cryoprotect.services.toxicity.exposure import EXPOSURE_METHOD, exposure_points
from cryoprotect.services.toxicity.importer import COLUMNS, template_csv
from cryoprotect.services.toxicity.records import (
    DesignStarted,
    ExposureImport,
    FitStarted,
    ToxicityModelRecord,
    kinetic_model,
)
from cryoprotect.services.toxicity.service import ToxicityService

__all__ = [
    "COLUMNS",
    "EXPOSURE_METHOD",
    "CocktailService",
    "DesignFailed",
    "DesignStarted",
    "ExposureImport",
    "FitStarted",
    "PreparedDesign",
    "ToxicityModelRecord",
    "ToxicityService",
    "exposure_points",
    "kinetic_model",
    "template_csv",
]
