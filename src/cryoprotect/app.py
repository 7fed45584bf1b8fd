"""``create_app(settings)``: the Flask application factory.

The app is an adapter: it wires settings, the database, services, the API blueprints,
metrics and logging together. It never starts or migrates the database itself; the
``serve`` command (or the test fixtures) hand it a ready :class:`Database`.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask, request, send_from_directory

from cryoprotect import __version__
from cryoprotect.api import admin_users as admin_users_api
from cryoprotect.api import auth as auth_api
from cryoprotect.api import cocktails as cocktails_api
from cryoprotect.api import eln as eln_api
from cryoprotect.api import experiments as experiments_api
from cryoprotect.api import exports as exports_api
from cryoprotect.api import feature_flags as feature_flags_api
from cryoprotect.api import json_limits
from cryoprotect.api import mixtures as mixtures_api
from cryoprotect.api import models as models_api
from cryoprotect.api import molecule_forms as molecule_forms_api
from cryoprotect.api import molecules as molecules_api
from cryoprotect.api import protocols as protocols_api
from cryoprotect.api import share_links as share_links_api
from cryoprotect.api import suggestions as suggestions_api
from cryoprotect.api import system as system_api
from cryoprotect.api import teams as teams_api
from cryoprotect.api import toxicity as toxicity_api
from cryoprotect.api.common import current_actor
from cryoprotect.api.errors import Api, register_error_handlers
from cryoprotect.db.database import Database
from cryoprotect.errors import CryoprotectError
from cryoprotect.ops import logging as ops_logging
from cryoprotect.ops import metrics, metrics_access, ratelimit
from cryoprotect.ops import security as ops_security
from cryoprotect.ops.flags import FeatureFlags
from cryoprotect.services.admin_users import AdminUserService
from cryoprotect.services.auth import AuthService
from cryoprotect.services.bundle import Services
from cryoprotect.services.experiments import ExperimentService
from cryoprotect.services.flags import FlagService
from cryoprotect.services.jobs import JobService
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.models import ModelService
from cryoprotect.services.molecule_index import MoleculeIndex
from cryoprotect.services.molecules import MoleculeService, SearchBudget
from cryoprotect.services.protocols import CellTypeService, ProtocolService
from cryoprotect.services.share_links import ShareLinkService
from cryoprotect.services.teams import TeamService
from cryoprotect.services.toxicity import CocktailService, ToxicityService
from cryoprotect.settings import Settings
from cryoprotect.web import web as web_blueprint


def _request_user_id() -> uuid.UUID | None:
    """The user a bearer token authenticates on this request, else None (never raises)."""
    if not request.headers.get("Authorization"):
        return None
    try:
        return current_actor().user_id
    except CryoprotectError:  # invalid credentials: counted by address; the view answers 401
        return None


def _swagger_ui_dir() -> str:
    import swagger_ui_bundle

    return str(swagger_ui_bundle.swagger_ui_path)


def create_app(settings: Settings | None = None, db: Database | None = None) -> Flask:
    """Build the application.

    Args:
        settings: configuration; ``Settings.from_env()`` when omitted.
        db: a started, migrated database; one is created (and started) from ``settings``
            when omitted.
    """
    settings = settings or Settings.from_env()
    if db is None:
        db = Database(settings, attach=True).start()
    app = Flask(__name__)
    app.config.update(
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        API_TITLE="CryoProtect API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Molecules, CPA solutions, predictive models, experiments and "
                "protocols for cryoprotectant research."
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An access token from /api/v1/auth/login, or a personal API token (cpt_…)",
                    }
                }
            },
        },
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    flags = FeatureFlags(db, ttl_s=settings.flags_cache_ttl_s)
    mixtures = MixtureService(db)
    cell_types = CellTypeService(db)
    toxicity = ToxicityService(db, mixtures)
    app.extensions["cryoprotect"] = Services(
        settings=settings,
        db=db,
        auth=AuthService(db, settings),
        teams=TeamService(db),
        molecules=MoleculeService(
            db,
            MoleculeIndex(db),
            SearchBudget(
                deadline_s=settings.search_deadline_ms / 1000,
                count_deadline_s=settings.search_count_deadline_s,
                concurrent=settings.search_concurrency,
                list_deadline_s=settings.list_deadline_ms / 1000,
            ),
        ),
        jobs=JobService(db, shutdown_timeout_s=settings.job_shutdown_timeout_s),
        mixtures=mixtures,
        models=ModelService(db, training_timeout_s=settings.training_timeout_s),
        flags=flags,
        feature_flags=FlagService(db, flags),
        experiments=ExperimentService(db),
        cell_types=cell_types,
        protocols=ProtocolService(db, cell_types, mixtures),
        toxicity=toxicity,
        cocktails=CocktailService(db, cell_types, mixtures, toxicity),
        share_links=ShareLinkService(db),
        admin_users=AdminUserService(db),
    )

    ops_logging.configure_logging(settings.log_level, settings.log_json)
    ops_logging.init_app(app)
    metrics.init_app(app)
    metrics.instrument_engine(db.app_engine)
    metrics.watch_embedded_database(app, db.supervisor_state)
    ops_security.init_app(app, settings)
    metrics_access.init_app(app, settings)

    api = Api(app)
    feature_flags_api.register_key_converter(app, api)
    for blueprint in (
        system_api.health_blp,
        auth_api.blp,
        auth_api.users_blp,
        teams_api.blp,
        molecules_api.blp,
        molecules_api.jobs_blp,
        molecule_forms_api.blp,
        mixtures_api.blp,
        mixtures_api.solutions_blp,
        models_api.blp,
        models_api.predictions_blp,
        models_api.datasets_blp,
        suggestions_api.blp,
        experiments_api.blp,
        protocols_api.cell_types_blp,
        protocols_api.blp,
        toxicity_api.blp,
        cocktails_api.blp,
        system_api.admin_blp,
        admin_users_api.blp,
        admin_users_api.reset_blp,
        feature_flags_api.blp,
        exports_api.blp,
        share_links_api.blp,
        share_links_api.shared_blp,
        eln_api.blp,
    ):
        api.register_blueprint(blueprint)
    register_error_handlers(app, api)
    ratelimit.init_app(app, settings, identify=_request_user_id)
    json_limits.init_app(app)  # after the rate limiter: refused bodies still count
    app.register_blueprint(web_blueprint)

    @app.get("/api/v1/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Any:
        return send_from_directory(_swagger_ui_dir(), filename)

    return app
