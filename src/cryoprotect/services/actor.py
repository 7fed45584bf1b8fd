"""The actor: who is asking. Every service takes one explicitly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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
    """

    user_id: uuid.UUID | None = None
    email: str | None = None
    is_admin: bool = False
    via: str = "anonymous"

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

    def require_admin(self) -> None:
        """Raise unless the actor is a platform administrator."""
        self.require_user()
        if not self.is_admin:
            raise PermissionDenied("Administrator access is required.")
