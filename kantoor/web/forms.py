"""Forms of the shell. Forms check shape (types, lengths, choices); services check rules
and answer with a DomainError, which `form_add_domain_error` shows on the form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from babel import Locale
from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kantoor.core.errors import DomainError
from kantoor.core.models import Role, Scope
from kantoor.parties.models import AddressKind, ContactPointKind, PartyKind, PartyRoleType

# A service's name for a list item's field, "lines[1].debit", read as "lines.1.debit".
_LIST_ITEM = re.compile(r"^(\w+)\[(\d+)\]")


def form_add_domain_error(
    form: forms.Form,
    exc: DomainError,
    rows: Mapping[str, Sequence[forms.Form]] | None = None,
    renames: Mapping[str, str] | None = None,
) -> None:
    """Show a service's refusal on the form that caused it.

    Field errors go next to their field: "name" on the form's field, "addresses.1.city"
    (or "lines[1].debit") on the `city` field of the second row sent to the service (`rows`
    lists, per list field, the row forms in the order their values were sent). `renames`
    maps a service's field name to the form's ("party_id" → "party"). Errors for fields the
    form does not show, and the error's message, go to the top of the form.
    """
    rows = rows or {}
    for key, messages in exc.field_errors.items():
        key = _LIST_ITEM.sub(r"\1.\2", (renames or {}).get(key, key))
        head, _dot, rest = key.partition(".")
        index, _dot, sub = rest.partition(".")
        if head in rows and index.isdigit() and int(index) < len(rows[head]):
            row = rows[head][int(index)]
            for message in messages:
                row.add_error(sub if sub in row.fields else None, message)
            continue
        field = head if head in form.fields and not form.fields[head].widget.is_hidden else None
        for message in messages:
            form.add_error(field, message)
    if exc.message not in [str(message) for message in form.non_field_errors()]:
        form.add_error(None, exc.message)


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field the form declares, to set its choices per request (`form.fields`
    is typed as holding plain `Field`s, which have no `choices`)."""
    return cast("forms.ChoiceField", form.fields[name])


@lru_cache(maxsize=8)
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(language or "en").territories
    return tuple(
        sorted(
            (
                (code, names[code])
                for code in names
                if isinstance(code, str) and len(code) == 2 and code.isalpha()
            ),
            key=lambda c: c[1],
        )
    )


def country_choices(*, blank: bool = True) -> list[tuple[str, str]]:
    """ISO 3166 countries named in the active language, sorted by name."""
    language = (get_language() or "en").split("-")[0]
    return [("", "—")] * blank + list(_countries(language))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


class PartyForm(forms.Form):
    """The party's own fields; names match the service's, so its field errors land here."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PartyKind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Name"), max_length=200)
    # Rendered as the organisation picker's radio buttons (web/parties/picker.html).
    organisation = forms.IntegerField(label=_("Organisation"), required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=30, required=False)
    coc_number = forms.CharField(label=_("Chamber of Commerce number"), max_length=30, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    language = forms.ChoiceField(label=_("Correspondence language"), choices=settings.LANGUAGES)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=PartyRoleType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separate tags with commas.")
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, empty_value=None, required=False)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, empty_value=None, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        users: Sequence[tuple[int, str]] = (),
        teams: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "country").choices = country_choices()
        _choice_field(self, "owner").choices = [("", "—"), *users]
        _choice_field(self, "team").choices = [("", "—"), *teams]

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class ContactPointForm(forms.Form):
    # Select fields carry the option a browser preselects as their initial value, so an
    # untouched blank row counts as unchanged and is skipped rather than refused.
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ContactPointKind.choices, initial=ContactPointKind.EMAIL
    )
    value = forms.CharField(label=_("Value"), max_length=254)
    label = forms.CharField(label=_("Label"), max_length=60, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AddressKind.choices, initial=AddressKind.VISIT)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"))
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def __init__(self, *args: Any, default_country: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "country").choices = country_choices()
        self.fields["country"].initial = default_country


ContactPointFormSet = forms.formset_factory(ContactPointForm, extra=1, can_delete=True, max_num=20)
AddressFormSet = forms.formset_factory(AddressForm, extra=1, can_delete=True, max_num=10)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to let the user set one through “Forgot your password?”."),
    )
    teams = forms.TypedMultipleChoiceField(
        label=_("Teams"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, teams: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "teams").choices = list(teams)
        for role, label in Role.choices:
            self.fields[f"role_{role}"] = forms.ChoiceField(
                label=label, required=False, choices=[("", _("No")), *Scope.choices]
            )

    def role_fields(self) -> list[forms.BoundField]:
        return [self[f"role_{role}"] for role in Role.values]

    def roles(self) -> dict[str, str]:
        return {
            role: self.cleaned_data[f"role_{role}"]
            for role in Role.values
            if self.cleaned_data[f"role_{role}"]
        }


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, users: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "members").choices = list(users)
