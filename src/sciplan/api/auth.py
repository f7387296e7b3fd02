"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from sciplan.api.models import ApiToken
from sciplan.core import clock


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user, *, name: str = "") -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        token_hash=hash_token(raw),
        name=name[:100],
        expires_at=clock.now() + timedelta(hours=settings.API_TOKEN_HOURS),
    )
    return raw, token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; ``request.auth`` is then the user."""

    def authenticate(self, request: HttpRequest, token: str):
        now = clock.now()
        row = (
            ApiToken.objects.select_related("user", "user__unit", "user__recommender")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


token_auth = TokenAuth()
