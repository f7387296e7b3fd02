"""The real URL conf plus one route that fails, to see the 500 page with DEBUG off."""

from django.urls import path

from sciplan.urls import handler400, handler403, handler404, handler500  # noqa: F401
from sciplan.urls import urlpatterns as real


def boom(request):
    raise RuntimeError("secret internals: password=hunter2 at /srv/sciplan/app.py line 42")


urlpatterns = [path("boom/", boom, name="boom"), *real]
