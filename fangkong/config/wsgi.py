"""WSGI entry point, served by granian in production.

``POST /api/v1/passes/verify`` is answered by a lean layer in front of Django (see
``fangkong/passes/fastpath.py``); it hands anything unusual to Django, and around what it answers
it applies Django's own middleware checks and headers (``core.middleware.ApiEnvelope``). In front
of both, the body limit (``fangkong/core/middleware.py``). Outside all of them, the request log
writes one line per request (``config.accesslog``), whichever layer answered it.
``tests/passes/test_envelope.py`` holds the two answers to the same request equal.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.config.settings")
django_application = get_wsgi_application()

from fangkong.config.accesslog import AccessLog  # noqa: E402  (needs Django set up)
from fangkong.core.middleware import RequestEnvelope  # noqa: E402
from fangkong.passes.fastpath import VerifyFastPath  # noqa: E402

# The log outermost (a refused body is a request too); then the envelope, so a body over the limit
# is refused before the lean path or Django reads it.
application = AccessLog(RequestEnvelope(VerifyFastPath(django_application)))
