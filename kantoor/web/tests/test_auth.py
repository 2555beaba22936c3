"""Sign-in pages: login with the language choice, logout, password change and reset by e-mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_and_login(client: Any, salesperson: Any) -> None:
    page = client.get(reverse("web:login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    wrong = client.post(reverse("web:login"), {"username": "sally", "password": "wrong"})
    assert wrong.status_code == 200
    assert "Please enter a correct username and password." in wrong.content.decode()
    response = client.post(
        reverse("web:login"), {"username": "sally", "password": PASSWORD, "next": "/parties/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/parties/"
    assert client.get(reverse("web:home")).status_code == 200


def test_language_chosen_on_the_login_page(client: Any, salesperson: Any) -> None:
    response = client.post(reverse("web:set-language"), {"language": "nl", "next": reverse("web:login")})
    assert response["Location"] == reverse("web:login")
    assert client.session["kantoor_language"] == "nl"
    page = client.get(reverse("web:login"))
    assert page["Content-Language"] == "nl"
    assert "Inloggen" in page.content.decode()
    client.post(reverse("web:login"), {"username": "sally", "password": PASSWORD})
    salesperson.refresh_from_db()
    assert salesperson.language == "nl"


def test_logout_is_a_post(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:home")).status_code == 302


def test_password_change(client: Any, salesperson: Any) -> None:
    client.force_login(salesperson)
    assert client.get(reverse("web:password-change")).status_code == 200
    bad = client.post(
        reverse("web:password-change"),
        {"old_password": "wrong", "new_password1": "Tulip-Garden-77", "new_password2": "Tulip-Garden-77"},
    )
    assert bad.status_code == 200
    assert "Your old password was entered incorrectly." in bad.content.decode()
    response = client.post(
        reverse("web:password-change"),
        {"old_password": PASSWORD, "new_password1": "Tulip-Garden-77", "new_password2": "Tulip-Garden-77"},
    )
    assert response["Location"] == reverse("web:password-change-done")
    salesperson.refresh_from_db()
    assert salesperson.check_password("Tulip-Garden-77")


def test_password_reset_by_email(client: Any, salesperson: Any) -> None:
    response = client.post(reverse("web:password-reset"), {"email": salesperson.email})
    assert response["Location"] == reverse("web:password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [salesperson.email]
    assert message.subject == "Reset your Kantoor password"
    link = re.search(r"http://testserver(/password/reset/[^/]+/[^/]+/)", message.body)
    assert link is not None
    # the link leads to the form to choose a new password, once
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert form.context["validlink"] is True
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "Tulip-Garden-77", "new_password2": "Tulip-Garden-77"}
    )
    assert done["Location"] == reverse("web:password-reset-complete")
    salesperson.refresh_from_db()
    assert salesperson.check_password("Tulip-Garden-77")
    assert client.get(link.group(1), follow=True).context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing(client: Any, salesperson: Any) -> None:
    response = client.post(reverse("web:password-reset"), {"email": "nobody@example.test"})
    assert response["Location"] == reverse("web:password-reset-done")
    assert mail.outbox == []
