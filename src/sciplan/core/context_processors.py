from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from sciplan.core import authority
from sciplan.core.navigation import menu_for


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    issuer = authority.current()
    return {
        "SITE_NAME": issuer.system_name,
        "AUTHORITY": issuer,
        "DEMO_MODE": settings.DEMO_MODE,
        "nav_items": menu_for(user, request.path) if user is not None else [],
    }
