from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from sciplan.core.navigation import menu_for


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": "岳阳市科技计划管理系统",
        "DEMO_MODE": settings.DEMO_MODE,
        "nav_items": menu_for(user, request.path) if user is not None else [],
    }
