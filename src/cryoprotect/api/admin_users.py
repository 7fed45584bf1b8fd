"""Account administration and the audit log (platform administrators), and the one-time
password-reset links an administrator issues (anyone holding one).

``POST /admin/users/{id}/password-reset`` writes the link to the server log and answers
only that it did so: the link never appears in an API response. ``/password-reset/{token}``
tells whose account a link resets (GET) and sets the new password (POST); an unknown token
is 404, a used, superseded or expired one 410.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC
from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.auth import RegisterSchema
from cryoprotect.api.common import (
    PageArgsSchema,
    StrictSchema,
    View,
    alt_responses,
    current_actor,
    paged_schema,
    paginated,
    public,
    services,
    signed_in,
)
from cryoprotect.api.errors import error_response
from cryoprotect.api.fields import record_schema
from cryoprotect.services.admin_users import (
    AUDIT_ACTIONS,
    AccountRecord,
    AuditChange,
    AuditEntry,
    ResetLinkGone,
    ResetLinkIssued,
    ResetLinkStatus,
)

blp = Blueprint(
    "admin-users",
    __name__,
    url_prefix="/api/v1/admin",
    description="Administration: accounts and the audit log (administrators only)",
)
reset_blp = Blueprint(
    "password-reset",
    __name__,
    url_prefix="/api/v1/password-reset",
    description="One-time password-reset links issued by an administrator",
)

ADMINS_ONLY = {403: "Administrators only"}


def _reset_link(token: str) -> str:
    return url_for("web.reset_password_page", item_id=token, _external=True)


AccountSchema = record_schema(
    AccountRecord, "AdminAccountSchema", is_active="Deactivated accounts cannot sign in"
)
AccountPageSchema = paged_schema(AccountSchema, "AdminAccountPageSchema")
ResetIssuedSchema = record_schema(ResetLinkIssued, "ResetLinkIssuedSchema")
ResetStatusSchema = record_schema(ResetLinkStatus, "ResetLinkStatusSchema")
AuditChangeSchema = record_schema(
    AuditChange,
    "AuditChangeSchema",
    old=ma.fields.Raw(allow_none=True),
    new=ma.fields.Raw(allow_none=True),
)
AuditEntrySchema = record_schema(
    AuditEntry,
    "AuditEntrySchema",
    label="The row's e-mail, name, key or title, when it has one",
    changes=ma.fields.List(
        ma.fields.Nested(AuditChangeSchema),
        required=True,
        metadata={"description": "Fields an UPDATE changed (secrets show as [changed])"},
    ),
)
AuditPageSchema = paged_schema(AuditEntrySchema, "AuditEntryPageSchema")


class AccountArgsSchema(PageArgsSchema):
    q = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=200),
        metadata={"description": "Part of the e-mail or display name"},
    )
    active = ma.fields.Boolean(load_default=None)
    admin = ma.fields.Boolean(load_default=None)


class AccountUpdateSchema(StrictSchema):
    is_active = ma.fields.Boolean(
        metadata={"description": "false: deactivate (ends all sessions and tokens at once)"}
    )
    is_admin = ma.fields.Boolean(metadata={"description": "Platform administrator rights"})


class AuditArgsSchema(PageArgsSchema):
    table = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=100),
        metadata={"description": "Table (kind of record), e.g. users, mixtures"},
    )
    action = ma.fields.String(load_default=None, validate=ma.validate.OneOf(AUDIT_ACTIONS))
    actor_id = ma.fields.UUID(load_default=None, metadata={"description": "Who made the change"})
    actor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=320),
        metadata={"description": "Part of the e-mail of who made the change"},
    )
    row_id = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=64),
        metadata={"description": "The changed record's id"},
    )
    since = ma.fields.AwareDateTime(
        load_default=None, default_timezone=UTC, metadata={"description": "From (inclusive)"}
    )
    until = ma.fields.AwareDateTime(
        load_default=None, default_timezone=UTC, metadata={"description": "To (inclusive)"}
    )


class AuditTablesSchema(ma.Schema):
    tables = ma.fields.List(ma.fields.String(), required=True)


class NewPasswordSchema(RegisterSchema):
    """The new password of a reset link: sign-up's password field and rule."""

    class Meta(RegisterSchema.Meta):
        exclude = ("email", "display_name")


def _admin(view: Any) -> Any:
    """An administrator (403) before the body is parsed (below :func:`signed_in`, which
    answers 401 first)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_actor().require_admin()
        return view(*args, **kwargs)

    return wrapper


def _admins(
    schema: Any,
    *,
    body: type[ma.Schema] | None = None,
    status: int = 200,
    errors: dict[int, str] | None = None,
) -> Callable[[View], View]:
    """An operation for administrators: 401, then 403, before the JSON ``body`` (when
    given) is parsed; ``schema`` answered with ``status``; the documented ``errors``."""

    def decorate(view: View) -> View:
        answered = blp.response(status, schema)(
            alt_responses(blp, view, {**ADMINS_ONLY, **(errors or {})})
        )
        parsed = answered if body is None else blp.arguments(body)(answered)
        return signed_in(blp)(_admin(parsed))

    return decorate


def _admin_list(
    args: type[ma.Schema], envelope: type[ma.Schema], errors: dict[int, str] | None = None
) -> Callable[[View], View]:
    """A paginated list for administrators (see :func:`_admins`) with the query ``args``."""

    def decorate(view: View) -> View:
        listed = paginated(blp, envelope)(view)
        documented = alt_responses(blp, listed, {**ADMINS_ONLY, **(errors or {})})
        return signed_in(blp)(_admin(blp.arguments(args, location="query")(documented)))

    return decorate


@blp.route("/users")
class Accounts(MethodView):
    @_admin_list(AccountArgsSchema, AccountPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Accounts, newest first, filtered by text, active and admin (administrators)"""
        return services().admin_users.list_users(current_actor(), **args)


@blp.route("/users/<uuid:user_id>")
class Account(MethodView):
    @_admins(AccountSchema, errors={404: "No such account"})
    def get(self, user_id: uuid.UUID) -> Any:
        """One account (administrators)"""
        return services().admin_users.get_user(current_actor(), user_id)

    @_admins(
        AccountSchema,
        body=AccountUpdateSchema,
        errors={404: "No such account", 409: "It would leave no active administrator"},
    )
    def patch(self, body: dict[str, Any], user_id: uuid.UUID) -> Any:
        """Deactivate or reactivate an account, grant or revoke administrator rights
        (administrators). Deactivating revokes all of its sessions and tokens at once."""
        return services().admin_users.update(current_actor(), user_id, **body)


@blp.route("/users/<uuid:user_id>/password-reset")
class PasswordResetRequest(MethodView):
    @_admins(
        ResetIssuedSchema,
        status=202,
        errors={404: "No such account", 409: "The account is deactivated"},
    )
    def post(self, user_id: uuid.UUID) -> Any:
        """Issue a one-time password-reset link (valid 1 h) and write it to the server log;
        the link is never in the response (administrators)"""
        return services().admin_users.request_password_reset(current_actor(), user_id, _reset_link)


@blp.route("/audit-log")
class AuditLog(MethodView):
    @_admin_list(
        AuditArgsSchema, AuditPageSchema, {422: "Unknown action, or 'until' before 'since'"}
    )
    def get(self, args: dict[str, Any]) -> Any:
        """The audit log, newest first, filtered by table, action, who, record and time
        (administrators)"""
        return services().admin_users.audit_log(
            current_actor(),
            table=args["table"],
            action=args["action"],
            actor_id=args["actor_id"],
            actor_email=args["actor"],
            row_id=args["row_id"],
            since=args["since"],
            until=args["until"],
            page=args["page"],
            per_page=args["per_page"],
        )


@blp.route("/audit-log/tables")
class AuditTables(MethodView):
    @_admins(AuditTablesSchema)
    def get(self) -> Any:
        """The tables whose changes are audited (administrators)"""
        return {"tables": services().admin_users.audit_tables(current_actor())}


def _gone(gone: ResetLinkGone) -> Any:
    return error_response(410, str(gone), code="gone", details=gone.details)


_RESET_ERRORS = {404: "No such link", 410: "The link was used, replaced or has expired"}


@reset_blp.route("/<string:token>")
class PasswordReset(MethodView):
    @reset_blp.response(200, ResetStatusSchema)
    @reset_blp.alt_response(404, description=_RESET_ERRORS[404])
    @reset_blp.alt_response(410, description=_RESET_ERRORS[410])
    def get(self, token: str) -> Any:
        """Whose password a reset link sets, while it is usable (no account needed)"""
        try:
            return services().admin_users.reset_link_status(token)
        except ResetLinkGone as gone:
            return _gone(gone)

    @public(
        reset_blp,
        NewPasswordSchema,
        ResetStatusSchema,
        errors={**_RESET_ERRORS, 422: "Password too short or too long"},
    )
    def post(self, body: dict[str, Any], token: str) -> Any:
        """Set a new password with a reset link: the link is spent and every session and
        token of the account is revoked (no account needed)"""
        try:
            return services().admin_users.reset_password(token, body["password"])
        except ResetLinkGone as gone:
            return _gone(gone)
