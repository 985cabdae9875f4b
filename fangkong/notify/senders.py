"""The wire formats: one function per channel that sends one message or raises ``SendError``.

WeCom group robot (企业微信群机器人): POST JSON to the webhook URL,
``{"msgtype": "markdown", "markdown": {"content": ...}}`` (content at most 4096 bytes) or
``{"msgtype": "text", "text": {"content": ...}}`` (at most 2048 bytes); answers ``{"errcode": 0, "errmsg": "ok"}``.

DingTalk custom robot (钉钉自定义机器人): POST JSON to the webhook URL,
``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`` or
``{"msgtype": "text", "text": {"content": ...}}``; with 加签 the URL gains ``&timestamp=<ms>&sign=<s>``
where s = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))); answers
``{"errcode": 0, "errmsg": "ok"}``. Both robots answer HTTP 200 with a non-zero errcode on refusal,
so the errcode is what decides success.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .choices import ChannelKind, MessageFormat
from .models import Channel, Message

WECOM_LIMITS: dict[str, int] = {MessageFormat.MARKDOWN: 4096, MessageFormat.TEXT: 2048}
ADDRESS_SPLIT = re.compile(r"[\s,;，；、]+")


class SendError(Exception):
    """A channel refused or could not be reached; the text is shown to the committee office."""


def split_addresses(target: str) -> list[str]:
    return [a for a in ADDRESS_SPLIT.split(target) if a]


def truncate_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def markdown(message: Message) -> str:
    return f"### {message.subject}\n\n{message.body}"


def plain(message: Message) -> str:
    return f"{message.subject}\n{message.body}"


def wecom_payload(message: Message, msg_format: str) -> dict[str, Any]:
    limit = WECOM_LIMITS.get(msg_format, 2048)
    if msg_format == MessageFormat.MARKDOWN:
        return {"msgtype": "markdown", "markdown": {"content": truncate_bytes(markdown(message), limit)}}
    return {"msgtype": "text", "text": {"content": truncate_bytes(plain(message), limit)}}


def dingtalk_payload(message: Message, msg_format: str) -> dict[str, Any]:
    if msg_format == MessageFormat.MARKDOWN:
        return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": markdown(message)}}
    return {"msgtype": "text", "text": {"content": plain(message)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The 加签 signature, already URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def dingtalk_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"


def post_json(url: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme was checked when the channel was saved
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SendError(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendError(f"{type(exc).__name__}: {reason}") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        # The body itself is not repeated: a webhook pointed at some other service must not
        # become a way to read that service's answers on the failures page.
        raise SendError("the answer is not a robot's JSON") from exc
    if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
        errcode = answer.get("errcode") if isinstance(answer, dict) else "?"
        errmsg = str(answer.get("errmsg", ""))[:200] if isinstance(answer, dict) else ""
        raise SendError(f"errcode {errcode}: {errmsg}")


def send_email(message: Message, channel: Channel) -> None:
    recipients = split_addresses(channel.target)
    connection = get_connection(timeout=settings.NOTIFY_EMAIL_TIMEOUT)
    email = EmailMessage(
        subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients, connection=connection,
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # smtplib, socket and ssl errors alike
        raise SendError(f"{type(exc).__name__}: {exc}") from exc


def send(message: Message, channel: Channel) -> None:
    if channel.kind == ChannelKind.EMAIL:
        send_email(message, channel)
    elif channel.kind == ChannelKind.WECOM:
        post_json(channel.target, wecom_payload(message, channel.msg_format))
    elif channel.kind == ChannelKind.DINGTALK:
        post_json(dingtalk_url(channel.target, channel.secret), dingtalk_payload(message, channel.msg_format))
    else:
        raise SendError(f"unknown channel {channel.kind}")
