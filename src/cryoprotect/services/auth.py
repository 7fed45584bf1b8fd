"""Accounts and credentials: registration, login, token refresh/revocation, API tokens.

Passwords are hashed with Argon2id (argon2-cffi). Access tokens are short-lived JWTs
(HS256, PyJWT); refresh tokens and personal API tokens are random secrets stored only as
SHA-256 hashes, so a database leak does not reveal usable tokens. Refresh tokens rotate
on use; presenting an already-rotated token revokes the user's whole token family.

Each access token carries a ``jti`` and the id of the refresh token it came with (``sid``,
its sign-in session). Signing out revokes that access token (its ``jti`` goes to
``auth.revoked_tokens``) and the session's refresh token; every request authenticated by an
access token checks its ``jti`` in the same statement that loads the account. A personal
API token cannot manage API tokens (:meth:`Actor.require_interactive`).

Credential lookups happen before an identity exists, so they run as the service role;
everything a signed-in user does with their own tokens runs as that user under RLS.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.dialects.postgresql import insert as pg_insert

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import ApiToken, RefreshToken, RevokedToken, User
from cryoprotect.errors import AuthenticationError, Conflict, NotFound, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import inserted, record_from
from cryoprotect.settings import Settings

API_TOKEN_PREFIX = "cpt_"  # noqa: S105 - a public prefix, not a secret
JWT_ALGORITHM = "HS256"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type name


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Characters that show as nothing (or as a blank) and so let two different addresses look
# the same: control and format characters (zero-width space U+200B, joiners, BOM, bidi
# marks, soft hyphen), private-use/unassigned code points, separators, and the blank
# letters that Unicode classes as letters (Hangul fillers, the braille blank).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zs", "Zl", "Zp"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# IDNA 2003 (Python's codec) and IDNA 2008 map these differently: refuse, do not guess.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2")
_DOMAIN_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_email(email: str) -> str:
    """The one canonical form of an e-mail address; :class:`ValidationError` if malformed.

    The rule (one account per address *as people read it*):

    1. surrounding whitespace is trimmed; an address containing an invisible character
       anywhere (zero-width space, joiners, BOM, bidi or other format/control characters,
       blank letters) is refused, never silently cleaned;
    2. NFKC normalisation folds compatibility forms, e.g. fullwidth ``ｐａｙｐａｌ`` to
       ``paypal``, so they name the same account as the plain form;
    3. the part before ``@`` must then be plain ASCII: letters that merely look Latin (a
       Cyrillic ``а`` in ``pаypal``, a Greek ``ο``) are refused, and so are internationalised
       local parts (RFC 6531) — use the ASCII alias of such a mailbox;
    4. the domain is lower-cased and, if not ASCII, converted to its IDNA A-label
       (``xn--…``), so a look-alike domain is stored and shown in a form that looks
       different; each label must be letters, digits and inner hyphens.

    The whole address is lower-cased, as before.
    """
    value = (email or "").strip()
    invalid = ValidationError("Enter a valid e-mail address.", field="email")
    if any(
        ch != " " and (unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _BLANK_LETTERS)
        for ch in value
    ):
        raise ValidationError(
            "The e-mail address contains an invisible or control character (such as a "
            "zero-width space); type it again.",
            field="email",
        )
    value = unicodedata.normalize("NFKC", value)
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise invalid
    if not local.isascii():
        raise ValidationError(
            "Use the plain-ASCII form of the address: characters before the @ that are not "
            "ASCII (e.g. a Cyrillic 'а' that looks like a Latin 'a') are not accepted.",
            field="email",
        )
    domain = domain.lower()
    if not domain.isascii():
        if any(ch in _IDNA_DEVIATIONS for ch in domain):
            raise invalid
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise invalid from None
    value = f"{local.lower()}@{domain}"
    if (
        not _EMAIL_RE.match(value)
        or len(value) > 320
        or not all(_DOMAIN_LABEL_RE.match(label) for label in domain.split("."))
    ):
        raise invalid
    return value


def _issued_before_cutoff(sid: uuid.UUID | None, iat: datetime | None) -> sa.ColumnElement[bool]:
    """An access token issued before its account's ``credentials_revoked_at`` (deactivation,
    password reset): by its session's creation time (exact), else its whole-second ``iat``."""
    cutoff = User.credentials_revoked_at
    if sid is not None:
        return sa.exists().where(RefreshToken.id == sid, RefreshToken.created_at < cutoff)
    return sa.false() if iat is None else sa.func.coalesce(cutoff > iat, False)


def new_password_hash(password: str) -> str:
    """The Argon2id hash of a new password, after the length rule of registration
    (:class:`ValidationError` naming ``password``)."""
    _check_password(password)
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters.", field="password"
        )


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An account as its owner sees it (never the password hash)."""

    id: uuid.UUID
    email: str
    display_name: str | None
    is_admin: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRecord:
        return cls(user.id, user.email, user.display_name, user.is_admin, user.created_at)


@dataclass(frozen=True, slots=True)
class AccountRequest:
    """The answer to a self-service sign-up: the same whether or not the address was taken."""

    status: str
    message: str


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """A personal API token; its secret (``token``) only on the record its creation returns."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    token: str | None = None

    @classmethod
    def of(cls, row: ApiToken, token: str | None = None) -> ApiTokenRecord:
        return record_from(cls, row, token=token)


class AuthService:
    """Use cases around accounts and tokens."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._key = settings.resolved_secret_key()

    # ----------------------------------------------------------- accounts
    def register(
        self,
        email: str,
        password: str,
        display_name: str | None = None,
        *,
        admin: bool | None = None,
    ) -> UserRecord:
        """Create an account. The first account on a fresh install becomes an administrator.

        Args:
            admin: force (or forbid) administrator rights; None = first account only.

        Raises:
            ValidationError: malformed e-mail or password too short/long.
            Conflict: the e-mail is already registered.
        """
        address = normalise_email(email)
        _check_password(password)
        password_hash = _hasher.hash(password)
        with self.db.transaction(Identity.service()) as session:
            # Serialise first-admin election between concurrent registrations.
            session.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext('cryoprotect.register'))")
            )
            if session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == address)):
                raise Conflict(
                    "An account with this e-mail already exists.", details={"field": "email"}
                )
            if admin is None:
                others = session.scalar(
                    sa.select(sa.func.count()).select_from(User).where(User.id != SYSTEM_USER_ID)
                )
                admin = others == 0
            user = User(
                email=address,
                password_hash=password_hash,
                display_name=display_name,
                is_admin=admin,
            )
            return UserRecord.of(inserted(session, user))

    def request_account(
        self, email: str, password: str, display_name: str | None = None
    ) -> AccountRequest:
        """Self-service sign-up that does not reveal which e-mail addresses have accounts.

        Creates the account (as :meth:`register`, first-account-is-admin included) when the
        address is new; when it already has an account, that account is left untouched.
        Either way the answer is the same, so the caller learns only whether they can now
        sign in with the password they chose.

        Raises:
            ValidationError: malformed e-mail or password too short/long (these depend only
                on the input, never on existing accounts).
        """
        # A taken address: the existing account is not touched, and the answer does not differ.
        with contextlib.suppress(Conflict):
            self.register(email, password, display_name)
        return AccountRequest(
            "accepted",
            "Account requested. Sign in with this e-mail address and the password "
            "you chose. If the address already had an account, nothing was changed: sign in "
            "with that account's password.",
        )

    def set_admin(self, email: str, password: str | None = None) -> UserRecord:
        """Create or promote an administrator (``cryoprotect users create-admin``)."""
        address = normalise_email(email)
        with self.db.transaction(Identity.service()) as session:
            user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == address))
            if user is not None:
                user.is_admin = True
                if password:
                    _check_password(password)
                    user.password_hash = _hasher.hash(password)
                session.flush()
                return UserRecord.of(user)
        if not password:
            raise ValidationError(
                "A password is required to create a new account.", field="password"
            )
        return self.register(address, password, admin=True)

    def actor_by_email(self, email: str) -> Actor:
        """The actor for an existing account (operator commands such as ``cryoprotect import``)."""
        address = normalise_email(email)
        with self.db.transaction(Identity.service()) as session:
            user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == address))
            if user is None or not user.is_active:
                raise NotFound(f"No active account {address}.", details={"field": "email"})
            return Actor(user_id=user.id, email=user.email, is_admin=user.is_admin, via="cli")

    def get_user(self, actor: Actor) -> UserRecord:
        user_id = actor.require_user()
        with self.db.transaction(actor.identity) as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("Account not found.")
            return UserRecord.of(user)

    def update_profile(self, actor: Actor, display_name: str | None) -> UserRecord:
        user_id = actor.require_user()
        with self.db.transaction(actor.identity) as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("Account not found.")
            user.display_name = display_name
            session.flush()
            return UserRecord.of(user)

    # -------------------------------------------------------------- login
    def login(self, email: str, password: str, user_agent: str | None = None) -> TokenPair:
        """Check credentials and issue an access/refresh token pair.

        Raises:
            AuthenticationError: unknown e-mail, wrong password or disabled account (one
                message for all three, so accounts cannot be enumerated).
        """
        try:
            address = normalise_email(email)
        except ValidationError:
            address = ""  # matches no account: the same answer as an unknown address
        failure = AuthenticationError("Invalid e-mail or password.")
        with self.db.transaction(Identity.service()) as session:
            user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == address))
            if user is None or not user.password_hash or not user.is_active:
                _hasher.hash(password or "x")  # equalise timing with the found-user path
                raise failure
            try:
                _hasher.verify(user.password_hash, password or "")
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                raise failure from None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            user.last_login_at = _now()
            return self._issue(session, user, user_agent)

    def _issue(self, session: sa.orm.Session, user: User, user_agent: str | None) -> TokenPair:
        now = _now()
        refresh = secrets.token_urlsafe(32)
        # PostgreSQL text cannot hold NUL; the header is informational, so drop them.
        agent = (user_agent or "").replace("\x00", "")[:400] or None
        row = RefreshToken(
            user_id=user.id,
            token_hash=_digest(refresh),
            user_agent=agent,
            expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl_s),
        )
        session.add(row)
        session.flush()
        access = jwt.encode(
            {
                "sub": str(user.id),
                "role": "authenticated",
                "type": "access",
                "iat": now,
                "exp": now + timedelta(seconds=self.settings.access_token_ttl_s),
                "jti": uuid.uuid4().hex,
                "sid": str(row.id),
            },
            self._key,
            algorithm=JWT_ALGORITHM,
        )
        return TokenPair(access, refresh, self.settings.access_token_ttl_s)

    def refresh(self, refresh_token: str, user_agent: str | None = None) -> TokenPair:
        """Exchange a refresh token for a new pair (the old one is revoked).

        Raises:
            AuthenticationError: unknown, expired or revoked token. Re-use of a rotated
                token revokes every refresh token of that user.
        """
        reused_by: uuid.UUID | None = None
        with self.db.transaction(Identity.service()) as session:
            row = session.scalar(
                sa.select(RefreshToken)
                .where(RefreshToken.token_hash == _digest(refresh_token or ""))
                .with_for_update()
            )
            if row is None:
                raise AuthenticationError("Invalid refresh token.")
            if row.revoked_at is None:
                if row.expires_at <= _now():
                    raise AuthenticationError("Refresh token has expired.")
                user = session.get(User, row.user_id)
                if user is None or not user.is_active:
                    raise AuthenticationError("Account is disabled.")
                pair = self._issue(session, user, user_agent)
                new_id = session.scalar(
                    sa.select(RefreshToken.id).where(
                        RefreshToken.token_hash == _digest(pair.refresh_token)
                    )
                )
                row.revoked_at = _now()
                row.replaced_by = new_id
                return pair
            if row.replaced_by is None:
                raise AuthenticationError("Refresh token has been revoked.")
            reused_by = row.user_id
        # A rotated token came back: assume it was stolen and revoke the whole family.
        with self.db.transaction(Identity.service()) as session:
            session.execute(
                sa.update(RefreshToken)
                .where(RefreshToken.user_id == reused_by, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        raise AuthenticationError("Refresh token has been revoked.")

    def logout(self, actor: Actor, refresh_token: str | None) -> None:
        """Sign out: revoke the access token used, its session's refresh token, and either
        the given refresh token of the caller or, when none is given, all of them.

        The access token's ``jti`` is kept in ``auth.revoked_tokens`` until the token would
        have expired; rows of expired tokens (anyone's) are pruned in the same transaction.
        """
        user_id = actor.require_user()
        now = _now()
        with self.db.transaction(actor.identity) as session:
            if actor.via == "jwt" and actor.credential_id and actor.credential_expires_at:
                session.execute(
                    pg_insert(RevokedToken)
                    .values(
                        jti=actor.credential_id,
                        user_id=user_id,
                        expires_at=actor.credential_expires_at,
                    )
                    .on_conflict_do_nothing(index_elements=[RevokedToken.jti])
                )
            query = sa.update(RefreshToken).where(
                RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
            )
            if refresh_token:
                chosen = RefreshToken.token_hash == _digest(refresh_token)
                if actor.session_id is not None:
                    chosen = sa.or_(chosen, RefreshToken.id == actor.session_id)
                query = query.where(chosen)
            session.execute(query.values(revoked_at=now))
            session.execute(sa.text("SELECT auth.prune_revoked_tokens()"))

    # ----------------------------------------------------- authentication
    def authenticate(self, authorization: str | None) -> Actor:
        """Resolve an ``Authorization`` header to an actor.

        No header means anonymous. A header that is present but invalid is an error,
        never a silent downgrade to anonymous.

        Raises:
            AuthenticationError: malformed header, bad signature, expired or revoked token,
                unknown or disabled account.
        """
        if not authorization:
            return Actor.anonymous()
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationError("Authorization header must be 'Bearer <token>'.")
        if token.startswith(API_TOKEN_PREFIX):
            return self._authenticate_api_token(token)
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "sub", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("Access token has expired.") from None
        except jwt.InvalidTokenError:
            raise AuthenticationError("Access token is invalid.") from None
        if claims.get("type") != "access":
            raise AuthenticationError("Access token is invalid.")
        jti = claims["jti"]
        try:
            user_id = uuid.UUID(str(claims["sub"]))
            session_id = uuid.UUID(str(claims["sid"])) if claims.get("sid") else None
        except ValueError:
            raise AuthenticationError("Access token is invalid.") from None
        if not isinstance(jti, str) or not 0 < len(jti) <= 64:
            raise AuthenticationError("Access token is invalid.")
        return self._actor_for(
            user_id,
            "jwt",
            credential_id=jti,
            credential_expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            session_id=session_id,
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        )

    def _actor_for(
        self,
        user_id: uuid.UUID,
        via: str,
        *,
        credential_id: str | None = None,
        credential_expires_at: datetime | None = None,
        session_id: uuid.UUID | None = None,
        issued_at: datetime | None = None,
    ) -> Actor:
        """The active account ``user_id``; for an access token (``via="jwt"``) the same
        statement probes ``auth.revoked_tokens`` for its ``jti`` by primary key, and
        refuses a token issued before the account's ``credentials_revoked_at``."""
        revoked: sa.ColumnElement[bool] = sa.false()
        if via == "jwt" and credential_id is not None:
            revoked = sa.exists().where(RevokedToken.jti == credential_id)
        if via == "jwt":  # issued before an administrator ended the account's sessions
            revoked = sa.or_(revoked, _issued_before_cutoff(session_id, issued_at))
        with self.db.transaction(Identity.user(user_id)) as session:
            found = session.execute(
                sa.select(User, revoked.label("revoked")).where(User.id == user_id)
            ).first()
            if found is None or not found.User.is_active:
                raise AuthenticationError("Account not found or disabled.")
            if found.revoked:
                raise AuthenticationError("Access token has been revoked (signed out).")
            user = found.User
            return Actor(
                user_id=user.id,
                email=user.email,
                is_admin=user.is_admin,
                via=via,
                credential_id=credential_id,
                credential_expires_at=credential_expires_at,
                session_id=session_id,
            )

    def _authenticate_api_token(self, token: str) -> Actor:
        with self.db.transaction(Identity.service()) as session:
            row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
            if row is None or row.revoked_at is not None:
                raise AuthenticationError("API token is invalid or revoked.")
            if row.expires_at is not None and row.expires_at <= _now():
                raise AuthenticationError("API token has expired.")
            row.last_used_at = _now()
            user_id, token_id = row.user_id, row.id
        return self._actor_for(user_id, "api_token", credential_id=str(token_id))

    # -------------------------------------------------------- API tokens
    def create_api_token(
        self, actor: Actor, name: str, expires_in_days: int | None = None
    ) -> ApiTokenRecord:
        """Create a personal API token; the secret is returned once and stored hashed.

        Raises:
            PermissionDenied: the caller authenticated with a personal API token.
        """
        user_id = actor.require_interactive("create API tokens")
        label = (name or "").strip()
        if not label or len(label) > 200:
            raise ValidationError("Token name must be 1 to 200 characters.", field="name")
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise ValidationError(
                "expires_in_days must be between 1 and 3650.", field="expires_in_days"
            )
        secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = _now() + timedelta(days=expires_in_days) if expires_in_days else None
        with self.db.transaction(actor.identity) as session:
            row = ApiToken(
                user_id=user_id,
                name=label,
                prefix=secret[:12],
                token_hash=_digest(secret),
                expires_at=expires,
            )
            return ApiTokenRecord.of(inserted(session, row), secret)

    def list_api_tokens(self, actor: Actor) -> list[ApiTokenRecord]:
        """The caller's API tokens; not to a caller using one (PermissionDenied)."""
        actor.require_interactive("list API tokens")
        with self.db.transaction(actor.identity) as session:
            rows = session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at.desc())).all()
            return [ApiTokenRecord.of(r) for r in rows]

    def revoke_api_token(self, actor: Actor, token_id: uuid.UUID) -> None:
        """Revoke one of the caller's API tokens. A caller using an API token may revoke
        only that token itself (PermissionDenied for any other)."""
        if not (actor.via == "api_token" and actor.credential_id == str(token_id)):
            actor.require_interactive("revoke other API tokens")
        with self.db.transaction(actor.identity) as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise NotFound("API token not found.")
            if row.revoked_at is None:
                row.revoked_at = _now()
