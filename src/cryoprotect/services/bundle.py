"""The services an app builds once and every adapter calls (``api.common.services()``)."""

from __future__ import annotations

from dataclasses import dataclass

from cryoprotect.db.database import Database
from cryoprotect.ops.flags import FeatureFlags
from cryoprotect.services.admin_users import AdminUserService
from cryoprotect.services.auth import AuthService
from cryoprotect.services.experiments import ExperimentService
from cryoprotect.services.flags import FlagService
from cryoprotect.services.jobs import JobService
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.models import ModelService
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.services.protocols import CellTypeService, ProtocolService
from cryoprotect.services.share_links import ShareLinkService
from cryoprotect.services.teams import TeamService
from cryoprotect.services.toxicity import CocktailService, ToxicityService
from cryoprotect.settings import Settings


@dataclass(frozen=True)
class Services:
    """Everything the adapters call, built once per app."""

    settings: Settings
    db: Database
    auth: AuthService
    teams: TeamService
    molecules: MoleculeService
    jobs: JobService
    mixtures: MixtureService
    models: ModelService
    flags: FeatureFlags
    feature_flags: FlagService
    experiments: ExperimentService
    cell_types: CellTypeService
    protocols: ProtocolService
    toxicity: ToxicityService
    cocktails: CocktailService
    share_links: ShareLinkService
    admin_users: AdminUserService
