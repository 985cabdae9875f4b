"""The public pages: a member's pledge share link, the pledge itself, and the model deeds. No login.

They are cheap: the HTML is rendered once and kept in the cache (``PUBLIC_SECONDS``), a share
link's signature is looked up once (``CODE_SECONDS``), and an open costs one indexed existence
check and at most one insert. They carry no script at all and no inline style (CSP-clean), and
they show no personal data beyond a deed's name, unit and story.

Counting a share link (docs/publicity.md): an open of ``/publicity/p/<code>/`` counts once per
browser, link and day. The browser is known by a first-party cookie (``fk_visitor``: HttpOnly,
SameSite=Lax, only sent to ``/publicity/p/``) holding an id derived from the client's address and
user agent on the day it was first seen; a client that sends no cookie back gets the same id again
that day, so a replay counts once. What is stored is that id and the day hashed under the secret
key (``ShareCount.visitor``): nothing follows a browser from one day to the next. A code that does
not exist counts nothing and answers 404. An onward share is a POST from the page's own button,
refused unless the browser says it came from this site (``Sec-Fetch-Site``/``Origin``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from fangkong.core import clock

from . import services
from .choices import DeedStatus, ShareKind
from .models import ModelDeed, Pledge, PledgeSignature, ShareCount

PUBLIC_SECONDS = 60
CODE_SECONDS = 300
COOKIE = "fk_visitor"
COOKIE_PATH = "/publicity/p/"
DEEDS_KEY = "publicity:deeds"


def forget_public_pages() -> None:
    cache.delete_many([f"{DEEDS_KEY}:{lang}" for lang, _name in settings.LANGUAGES])


def qr_data_uri(text: str) -> str:
    import base64
    import io

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _signature(code: str) -> PledgeSignature | None:
    if not code or len(code) > 16:
        return None
    key = f"publicity:code:{code}"
    found = cache.get(key)
    if found is None:
        sig = PledgeSignature.objects.filter(share_code=code).values("id", "pledge_id", "unit_id").first()
        found = sig or {}
        cache.set(key, found, CODE_SECONDS)
    if not found:
        return None
    return PledgeSignature(id=found["id"], pledge_id=found["pledge_id"], unit_id=found["unit_id"], share_code=code)


def _browser(request: HttpRequest) -> tuple[str, bool]:
    """The browser's id and whether it must be set in the cookie now."""
    current = request.COOKIES.get(COOKIE, "")
    if len(current) == 32 and all(c in "0123456789abcdef" for c in current):
        return current, False
    from fangkong.audit.services import client_ip

    return services.visitor_id(client_ip(request) or "", request.headers.get("User-Agent", ""), clock.today()), True


def _with_cookie(response: HttpResponse, browser: str, fresh: bool) -> HttpResponse:
    if fresh:
        response.set_cookie(COOKIE, browser, max_age=365 * 86400, path=COOKIE_PATH, httponly=True, samesite="Lax",
                            secure=settings.SESSION_COOKIE_SECURE)
    return response


def _pledge_html(request: HttpRequest, pledge_id: int, code: str) -> str:
    key = f"publicity:pledge:{pledge_id}:{code}:{get_language()}"
    html = cache.get(key)
    if html is None:
        pledge = Pledge.objects.filter(pk=pledge_id).first()
        if pledge is None:  # an id kept in the cache from before the pledge went (a reset)
            raise Http404
        link = request.build_absolute_uri(reverse("publicity:share", args=[code])) if code else ""
        signed = PledgeSignature.objects.filter(pledge_id=pledge_id).count()
        forwards = _forwards(pledge_id)
        html = render_to_string("publicity/public_pledge.html", {
            "pledge": pledge, "code": code, "link": link, "qr": qr_data_uri(link) if link else "",
            "signed": signed, "forwards": forwards})
        cache.set(key, html, PUBLIC_SECONDS)
    return html


def _forwards(pledge_id: int) -> int:
    from django.db.models import Sum

    return ShareCount.objects.filter(pledge_id=pledge_id).aggregate(n=Sum("count"))["n"] or 0


class ShareView(View):
    """A member's share link: the pledge, counted once per browser and day."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        signature = _signature(code)
        if signature is None:
            raise Http404
        browser, fresh = _browser(request)
        services.share_count(signature=signature, kind=ShareKind.OPEN, browser=browser)
        response = HttpResponse(_pledge_html(request, signature.pledge_id, code))
        # Every open must reach the server to be counted; the server keeps the page.
        response["Cache-Control"] = "no-cache"
        return _with_cookie(response, browser, fresh)


@method_decorator(csrf_exempt, name="dispatch")
class OnwardView(View):
    """The page's "I shared it onward" button: counted once per browser, link and day."""

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        signature = _signature(code)
        if signature is None:
            raise Http404
        site = request.headers.get("Sec-Fetch-Site")
        origin = request.headers.get("Origin")
        same = site == "same-origin" if site else (origin is None or origin == f"{request.scheme}://{request.get_host()}")
        if not same:
            return HttpResponse(status=403)
        browser, fresh = _browser(request)
        services.share_count(signature=signature, kind=ShareKind.ONWARD, browser=browser)
        return _with_cookie(HttpResponseRedirect(reverse("publicity:share", args=[code]) + "#shared"), browser, fresh)


class PledgePublicView(View):
    """A pledge's own public page (no member's link)."""

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        key = f"publicity:slug:{slug[:40]}"
        pledge = cache.get(key)
        if pledge is None:
            pledge = Pledge.objects.filter(slug=slug).values_list("id", flat=True).first() or 0
            cache.set(key, pledge, CODE_SECONDS)
        if not pledge:
            raise Http404
        try:
            html = _pledge_html(request, pledge, "")
        except Http404:
            # The cached id is of a pledge that is gone (a reset): look the slug up again.
            pledge = Pledge.objects.filter(slug=slug).values_list("id", flat=True).first() or 0
            cache.set(key, pledge, CODE_SECONDS)
            if not pledge:
                raise
            html = _pledge_html(request, pledge, "")
        response = HttpResponse(html)
        response["Cache-Control"] = f"public, max-age={PUBLIC_SECONDS}"
        return response


class DeedsPublicView(View):
    """The published model deeds: name, unit and story; nothing else about the person."""

    def get(self, request: HttpRequest) -> HttpResponse:
        key = f"{DEEDS_KEY}:{get_language()}"
        html = cache.get(key)
        if html is None:
            deeds = (ModelDeed.objects.filter(status=DeedStatus.PUBLISHED).select_related("person")
                     .order_by("-published_at", "-id")[:200])
            html = render_to_string("publicity/public_deeds.html", {
                "deeds": [{"name": d.person.name, "unit": d.unit_name, "title": d.title, "story": d.story,
                           "photo": d.photo.url if d.photo else "", "published_at": d.published_at} for d in deeds]})
            cache.set(key, html, PUBLIC_SECONDS)
        response = HttpResponse(html)
        response["Cache-Control"] = f"public, max-age={PUBLIC_SECONDS}"
        return response


def share_figures(signature: PledgeSignature) -> dict[str, Any]:
    from django.db.models import Sum

    rows = dict(ShareCount.objects.filter(signature=signature).values("kind").annotate(n=Sum("count"))
                .values_list("kind", "n"))
    return {"opens": rows.get(ShareKind.OPEN, 0), "onward": rows.get(ShareKind.ONWARD, 0)}


def today() -> dt.date:
    return clock.today()
