"""Builders for the document and sending tests (finance's and the web's): a customer with an
address and an e-mail address, a posted invoice of three lines at two VAT rates, and the
bank account printed as payment details."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from kantoor.finance import invoicing, services
from kantoor.finance.models import Invoice, Journal, Tax
from kantoor.parties.services import party_create

IBAN = "NL91ABNA0417164300"
BIC = "ABNANL2A"


def bank_set(actor: Any) -> Journal:
    """The bank journal's IBAN and BIC, as printed on invoices."""
    journal = Journal.objects.get(company_id=actor.company_id, code="BNK")
    return services.journal_bank_details_set(
        actor=actor, journal_id=journal.pk, bank_account="NL91 ABNA 0417 1643 00", bank_bic=BIC
    )


def customer_make(
    actor: Any,
    name: str = "Bloemenhandel Visser B.V.",
    *,
    language: str = "en",
    email: str = "inkoop@visser.example",
    vat_number: str = "NL004495445B01",
    **fields: Any,
) -> Any:
    return party_create(
        actor=actor,
        kind="organisation",
        name=name,
        roles=["customer"],
        language=language,
        country="NL",
        vat_number=vat_number,
        contact_points=[{"kind": "email", "value": email, "is_primary": True}],
        addresses=[
            {
                "kind": "invoice",
                "street": "Kerkstraat 12",
                "postal_code": "1017 GC",
                "city": "Amsterdam",
                "country": "NL",
                "is_primary": True,
            }
        ],
        **fields,
    )


def invoice_make(actor: Any, party: Any, *, post: bool = True, on: dt.date = dt.date(2026, 3, 2)) -> Invoice:
    """250.00 + 180.00 at 21% (VAT 90.30) and 12.38 at 9% (VAT 1.11): a total of 533.79."""
    v21 = Tax.objects.get(company_id=actor.company_id, code="V21")
    v9 = Tax.objects.get(company_id=actor.company_id, code="V9")
    draft = invoicing.invoice_create(
        actor=actor,
        kind="customer_invoice",
        party_id=party.pk,
        date=on,
        due_date=on + dt.timedelta(days=30),
        lines=[
            {
                "description": "Tulip bulbs",
                "quantity": "200",
                "unit_price": "1.25",
                "tax_id": v21.pk,
                "product_code": "TB-01",
            },
            {
                "description": "Consulting",
                "quantity": "2.5",
                "unit_price": "80",
                "discount": "10",
                "tax_id": v21.pk,
            },
            {"description": "Flower food", "quantity": "3", "unit_price": "4.125", "tax_id": v9.pk},
        ],
    )
    return invoicing.invoice_post(actor=actor, invoice_id=draft.pk) if post else draft


# ----------------------------------------------------------------------------- a real SMTP server


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it."""
    server = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "facturen@tulip.example"
    try:
        yield server
    finally:
        controller.stop()
