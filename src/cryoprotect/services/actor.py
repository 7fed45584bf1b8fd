"""The actor: who is asking. Every service takes one explicitly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from cryoprotect.db.database import Identity
from cryoprotect.errors import AuthenticationError, PermissionDenied


@dataclass(frozen=True)
class Actor:
    """An authenticated user, or the anonymous caller (``user_id`` None).

    Attributes:
        user_id: the user's id, or None for anonymous.
        email: the user's e-mail (None when anonymous).
        is_admin: platform administrator (may run service-role operations such as the
            database health report).
        via: how the caller authenticated: ``jwt``, ``api_token`` or ``anonymous``.
        credential_id: the credential used: an access token's ``jti``, or the id of a
            personal API token (None otherwise).
        credential_expires_at: when that access token expires (None otherwise).
        session_id: the refresh token an access token was issued with (its sign-in
            session; None for API tokens and older tokens without a ``sid`` claim).
    """

    user_id: uuid.UUID | None = None
    email: str | None = None
    is_admin: bool = False
    via: str = "anonymous"
    credential_id: str | None = None
    credential_expires_at: datetime | None = None
    session_id: uuid.UUID | None = None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls()

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def identity(self) -> Identity:
        """The database identity this actor's transactions run under."""
        return Identity.user(self.user_id) if self.user_id else Identity.anonymous()

    def require_user(self) -> uuid.UUID:
        """The user id, or :class:`AuthenticationError` for anonymous callers."""
        if self.user_id is None:
            raise AuthenticationError("Sign in to do this.")
        return self.user_id

    def require_interactive(self, action: str) -> uuid.UUID:
        """The user id, unless the caller is anonymous (401) or uses a personal API token.

        A personal API token is a credential for scripts; what could extend or keep a
        stolen credential alive (minting, listing or revoking API tokens, changing the
        password or e-mail) needs a signed-in session (an access token from login).

        Args:
            action: what was refused, for the message (e.g. ``"create API tokens"``).

        Raises:
            AuthenticationError: anonymous caller.
            PermissionDenied: the caller authenticated with a personal API token.
        """
        user_id = self.require_user()
        if self.via == "api_token":
            raise PermissionDenied(
                f"A personal API token cannot {action}; sign in with your password to do this.",
                details={"credential": "api_token"},
            )
        return user_id

    def require_admin(self) -> None:
        """Raise unless the actor is a platform administrator."""
        self.require_user()
        if not self.is_admin:
            raise PermissionDenied("Administrator access is required.")
