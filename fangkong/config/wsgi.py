"""WSGI entry point, served by granian in production.

``POST /api/v1/passes/verify`` is answered by a lean layer in front of Django (see
``fangkong/passes/fastpath.py``); it hands anything unusual to Django. Outside both, the request
log writes one line per request (``config.accesslog``), whichever of the two answered it.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.config.settings")
django_application = get_wsgi_application()

from fangkong.config.accesslog import AccessLog  # noqa: E402  (needs Django set up)
from fangkong.passes.fastpath import VerifyFastPath  # noqa: E402

application = AccessLog(VerifyFastPath(django_application))
