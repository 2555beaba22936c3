"""Fixtures of the activities tests: a rep (own scope), a colleague in the rep's team, a
manager (company scope), a customer owned by the rep, a real SMTP server on loopback, and
the API helpers of core."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from kantoor.core.services import team_create
from kantoor.core.tests.api_support import anonymous_api, api_as
from kantoor.parties.services import party_create

__all__ = ["anonymous_api", "api_as"]


@pytest.fixture
def team(admin_user: Any) -> Any:
    return team_create(actor=admin_user, name="Sales North")


@pytest.fixture
def rep(make_user: Callable[..., Any], team: Any) -> Any:
    """A sales rep who reaches only their own records."""
    return make_user("sales", scope="own", team=team, username="rita")


@pytest.fixture
def teammate(make_user: Callable[..., Any], team: Any) -> Any:
    return make_user("sales", scope="team", team=team, username="tom")


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("management", username="mona")


@pytest.fixture
def customer(rep: Any) -> Any:
    return party_create(
        actor=rep, kind="organisation", name="Bakkerij De Korenschoof", roles=["customer"], owner=rep.pk
    )


@dataclass
class SmtpServer:
    """An SMTP server on loopback that keeps what it receives (aiosmtpd)."""

    host: str
    port: int
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        result = []
        for envelope in self.envelopes:
            content = envelope.content or b""
            raw = content.encode() if isinstance(content, str) else bytes(content)
            message = message_from_bytes(raw, policy=default)
            assert isinstance(message, EmailMessage)
            result.append(message)
        return result


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it."""
    server = SmtpServer(host="127.0.0.1", port=_free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "kantoor@tulip.example"
    try:
        yield server
    finally:
        controller.stop()
