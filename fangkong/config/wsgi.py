"""WSGI entry point, served by granian in production.

``POST /api/v1/passes/verify`` is answered by a lean layer in front of Django (see
``fangkong/passes/fastpath.py``); it hands anything unusual to Django. In front of both, the body
limit (``fangkong/core/middleware.py``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.config.settings")
django_application = get_wsgi_application()

from fangkong.core.middleware import RequestEnvelope  # noqa: E402  (needs Django set up)
from fangkong.passes.fastpath import VerifyFastPath  # noqa: E402

# The envelope first: a body over the limit is refused before the lean path or Django reads it.
application = RequestEnvelope(VerifyFastPath(django_application))
