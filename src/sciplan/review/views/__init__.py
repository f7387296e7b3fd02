"""Review pages: the bureau's (``bureau``, ``pool``) and the experts' (``expert``)."""

from __future__ import annotations

from functools import wraps

from django.http import Http404

from sciplan.accounts.roles import Role


def bureau_only(view):
    """Bureau staff only; everyone else is told the page does not exist (404, STANDARDS B7)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if request.user.role != Role.BUREAU:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def draw_readers(view):
    """Bureau staff and the audit viewer (who reads the draw records, never acts); others get 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if request.user.role not in (Role.BUREAU, Role.AUDITOR):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
