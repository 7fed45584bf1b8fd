"""Accounts: registration, sign-in, token refresh and sign-out; the caller's profile and API tokens."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    StrictSchema,
    answers_signed_in,
    current_actor,
    public,
    services,
    signed_in,
)
from cryoprotect.api.fields import record_schema
from cryoprotect.services.auth import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, UserRecord

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")
users_blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="The signed-in user"
)
#: The 401 these views document (rather than signed_in's default text).
_SIGNED_OUT = {401: "Not signed in"}


class RegisterSchema(StrictSchema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=320))
    # The password rule is the service's (services/auth.py _check_password): too short is its
    # 422 "Password must be at least 8 characters." naming the field (empty included), so the
    # sign-up page's hint and the API say one thing; the OpenAPI document states the same
    # bounds (minLength from the service's constant, maxLength from the validator).
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(
            max=MAX_PASSWORD_LENGTH,
            error=f"Password must be at most {MAX_PASSWORD_LENGTH} characters.",
        ),
        load_only=True,
        metadata={"minLength": MIN_PASSWORD_LENGTH},
    )
    display_name = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )


class LoginSchema(StrictSchema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=320))
    password = ma.fields.String(
        required=True, validate=ma.validate.Length(max=MAX_PASSWORD_LENGTH), load_only=True
    )


class RefreshSchema(StrictSchema):
    refresh_token = ma.fields.String(required=True, validate=ma.validate.Length(max=200))


class LogoutSchema(StrictSchema):
    refresh_token = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(
        required=True, metadata={"description": "Access token lifetime, s"}
    )


UserSchema = record_schema(UserRecord, "UserSchema")


class ProfileUpdateSchema(StrictSchema):
    display_name = ma.fields.String(
        required=True, allow_none=True, validate=ma.validate.Length(max=200)
    )


class ApiTokenCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    expires_in_days = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=3650)
    )


class ApiTokenSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    prefix = ma.fields.String(
        required=True, metadata={"description": "First characters, for recognition"}
    )
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(allow_none=True)
    last_used_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


class NewApiTokenSchema(ApiTokenSchema):
    token = ma.fields.String(required=True, metadata={"description": "Shown once; store it now"})


class RegistrationSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"description": "Always 'accepted'"})
    message = ma.fields.String(required=True)


@blp.route("/register")
class Register(MethodView):
    @public(
        blp,
        RegisterSchema,
        RegistrationSchema,
        status=202,
        errors={422: "Malformed or confusable e-mail, or a bad password"},
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Request an account, then sign in (the same answer whether or not the address
        already has an account; the first account on a fresh install is an administrator)"""
        return services().auth.request_account(
            body["email"], body["password"], body.get("display_name")
        )


@blp.route("/login")
class Login(MethodView):
    @public(blp, LoginSchema, TokenPairSchema, errors={401: "Wrong e-mail or password"})
    def post(self, body: dict[str, Any]) -> Any:
        """Sign in with e-mail and password"""
        return services().auth.login(
            body["email"], body["password"], request.headers.get("User-Agent")
        )


@blp.route("/refresh")
class Refresh(MethodView):
    @public(
        blp,
        RefreshSchema,
        TokenPairSchema,
        errors={401: "Unknown, expired or revoked refresh token"},
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Exchange a refresh token for a new token pair (the old one is revoked)"""
        return services().auth.refresh(body["refresh_token"], request.headers.get("User-Agent"))


@blp.route("/logout")
class Logout(MethodView):
    @signed_in(blp)
    @blp.arguments(LogoutSchema, required=False)
    @blp.response(204)
    @blp.alt_response(401, description="Not signed in")
    def post(self, body: dict[str, Any]) -> None:
        """Sign out: revoke this access token, its session and a refresh token (or all)"""
        services().auth.logout(current_actor(), body.get("refresh_token"))


@users_blp.route("/me")
class Me(MethodView):
    @answers_signed_in(users_blp, UserSchema, errors=_SIGNED_OUT)
    def get(self) -> Any:
        """The signed-in user's profile"""
        return services().auth.get_user(current_actor())

    @answers_signed_in(users_blp, UserSchema, body=ProfileUpdateSchema, errors=_SIGNED_OUT)
    def patch(self, body: dict[str, Any]) -> Any:
        """Change the signed-in user's display name"""
        return services().auth.update_profile(current_actor(), body["display_name"])


@users_blp.route("/me/api-tokens")
class ApiTokens(MethodView):
    @answers_signed_in(
        users_blp,
        ApiTokenSchema(many=True),
        errors={**_SIGNED_OUT, 403: "Called with a personal API token"},
    )
    def get(self) -> Any:
        """The caller's personal API tokens (secrets are never shown again)"""
        return services().auth.list_api_tokens(current_actor())

    @answers_signed_in(
        users_blp,
        NewApiTokenSchema,
        body=ApiTokenCreateSchema,
        status=201,
        errors={**_SIGNED_OUT, 403: "Called with a personal API token"},
    )
    def post(self, body: dict[str, Any]) -> Any:
        """Create a personal API token for scripts; the secret is returned once"""
        return services().auth.create_api_token(
            current_actor(), body["name"], body.get("expires_in_days")
        )


@users_blp.route("/me/api-tokens/<uuid:token_id>")
class ApiTokenItem(MethodView):
    @answers_signed_in(
        users_blp,
        None,
        status=204,
        errors={
            **_SIGNED_OUT,
            403: "Called with another personal API token",
            404: "No such token of yours",
        },
    )
    def delete(self, token_id: uuid.UUID) -> None:
        """Revoke a personal API token"""
        services().auth.revoke_api_token(current_actor(), token_id)
