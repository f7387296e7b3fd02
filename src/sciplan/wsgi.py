"""WSGI entry point for production servers (gunicorn sciplan.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sciplan.settings")
application = get_wsgi_application()
