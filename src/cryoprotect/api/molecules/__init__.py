"""The molecule library: register, read, edit, delete; search; drawings; import and export.

``schemas`` holds the request and response shapes, ``resources`` the blueprints (``blp``,
``jobs_blp``) and their views; import other names from those modules.
"""

from __future__ import annotations

from cryoprotect.api.molecules import resources, schemas
from cryoprotect.api.molecules.resources import blp, jobs_blp
from cryoprotect.api.molecules.schemas import JobSchema

__all__ = ["JobSchema", "blp", "jobs_blp", "resources", "schemas"]
