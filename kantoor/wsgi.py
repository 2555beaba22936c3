"""WSGI entry point for gunicorn (`kantoor serve --prod`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kantoor.settings")
application = get_wsgi_application()
