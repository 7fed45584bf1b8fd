"""Liveness, readiness and the administrators' database health report.

* ``GET /health`` (liveness; the image's HEALTHCHECK): 200 while this process can serve or
  get its database back by itself. 503 only when it cannot: the supervised embedded
  database has been down longer than ``CRYOPROTECT_DB_DOWN_LIMIT`` with no restart under
  way, or its watchdog has stopped reporting for that long. Restarting the app (container)
  is then the remedy. It never queries the database.
* ``GET /health/ready`` (readiness): 200 when the database answers and is migrated to the
  code's revision; 503 during any outage, however brief, so traffic waits elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect import __version__
from cryoprotect.api.common import answers_signed_in, current_actor, services
from cryoprotect.api.errors import error_response
from cryoprotect.db.database import Identity, head_revision
from cryoprotect.errors import DatabaseUnavailable
from cryoprotect.ops.metrics import record_readiness

health_blp = Blueprint(
    "health", __name__, url_prefix="/health", description="Liveness and readiness"
)
admin_blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Administration")

_STARTED = time.time()


class LivenessSchema(ma.Schema):
    status = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    uptime_s = ma.fields.Float(required=True)
    reason = ma.fields.String(metadata={"description": "Why the app cannot recover (503)"})


class ReadinessSchema(ma.Schema):
    status = ma.fields.String(required=True)
    database = ma.fields.Dict(required=True)


def _probe(schema: type[ma.Schema], failing: str) -> Callable[[Callable[..., Any]], Any]:
    """Document a health probe: 200 when healthy, 503 (``failing``) otherwise, one body schema."""

    def decorate(view: Callable[..., Any]) -> Any:
        documented = health_blp.alt_response(503, schema=schema, description=failing)(view)
        return health_blp.response(200, schema)(documented)

    return decorate


@health_blp.route("")
class Liveness(MethodView):
    @_probe(LivenessSchema, "The database is down and cannot be recovered")
    def get(self) -> Any:
        """Liveness: the process is up and not stuck without its database (no query made)"""
        body = {
            "status": "ok",
            "version": __version__,
            "uptime_s": round(time.time() - _STARTED, 3),
        }
        problem = services().db.liveness_problem()
        if problem is not None:
            return {**body, "status": "failing", "reason": problem}, 503
        return body


@health_blp.route("/ready")
class Readiness(MethodView):
    @_probe(ReadinessSchema, "Database unreachable or not migrated")
    def get(self) -> Any:
        """Readiness: the database is reachable and its schema is at the code's revision"""
        head = head_revision()
        started = time.perf_counter()
        try:
            current = services().db.current_revision()
        except DatabaseUnavailable as exc:
            record_readiness(False)
            return {
                "status": "unavailable",
                "database": {"reachable": False, "error": exc.message, "head": head},
            }, 503
        info = {
            "reachable": True,
            "revision": current,
            "head": head,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        record_readiness(current == head)
        if current != head:
            return {"status": "migrations_pending", "database": info}, 503
        return {"status": "ready", "database": info}


class HealthReportSchema(ma.Schema):
    status = ma.fields.String(required=True)
    checked_at = ma.fields.String(required=True)
    checks = ma.fields.Dict(required=True)


@admin_blp.route("/db-health")
class DatabaseHealth(MethodView):
    @answers_signed_in(
        admin_blp,
        HealthReportSchema,
        errors={401: "Not signed in", 403: "Administrators only"},
    )
    def get(self) -> Any:
        """Database health report: schema, integrity and performance (administrators only)"""
        from cryoprotect.db.health import run_health_checks

        actor = current_actor()
        actor.require_admin()
        with services().db.transaction(Identity.service(actor.user_id)) as session:
            return run_health_checks(session.connection())


__all__ = ["admin_blp", "error_response", "health_blp"]
