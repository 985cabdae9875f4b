"""WSGI entry point, served by granian in production.

``POST /api/v1/passes/verify`` is answered by a lean layer in front of Django (see
``fangkong/passes/fastpath.py``); it hands anything unusual to Django.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.config.settings")
django_application = get_wsgi_application()

from fangkong.passes.fastpath import VerifyFastPath  # noqa: E402  (needs Django set up)

application = VerifyFastPath(django_application)
