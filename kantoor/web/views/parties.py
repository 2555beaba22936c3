"""Party pages: list, detail (with timeline and history), create, edit, archive and merge.

Every page calls the parties selectors and services with `request.user`, so the policy
decides what is shown and allowed: an invisible party is a 404, a refused action a 403.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Field
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kantoor.core import policy
from kantoor.core import selectors as core_selectors
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.core.models import User
from kantoor.finance import aging, invoice_selectors
from kantoor.parties import selectors, services
from kantoor.parties.errors import DuplicatePartyError
from kantoor.parties.models import Party, PartyKind, PartyRoleType, Tag
from kantoor.web.forms import (
    AddressFormSet,
    ContactPointFormSet,
    PartyForm,
    form_add_domain_error,
)
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission

PAGE_SIZE = 25
COUNT_CAP = 1000  # lists show "1000+" rather than counting 100,000 rows on every keystroke
PICKER_LIMIT = 10
PICKER_FIELDS = {"organisation", "other"}
HISTORY_LIMIT = 50
SORTS = {
    "name": Ordering("normalized_name"),
    "newest": Ordering("created_at", descending=True, is_datetime=True),
}
MERGE_COMPARED = ["kind", "vat_number", "coc_number", "country", "organisation", "job_title", "owner", "team"]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class PartyFilters(TypedDict):
    """The list page's filters: the keyword arguments of `parties_list`, also shown in the form."""

    q: str
    kind: str
    role: str
    tag: str
    owner_id: int | None
    include_archived: bool


# ---- list -------------------------------------------------------------------------------


@page
def party_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, "parties.view_party")
    params = request.GET
    sort = params.get("sort", "")
    if sort not in SORTS:
        sort = "name"
    filters: PartyFilters = {
        "q": params.get("q", "")[:100],
        "kind": params.get("kind", "") if params.get("kind") in PartyKind.values else "",
        "role": params.get("role", "") if params.get("role") in PartyRoleType.values else "",
        "tag": params.get("tag", "")[:60],
        "owner_id": _int(params.get("owner")),
        "include_archived": params.get("archived") == "1",
    }
    parties = selectors.parties_list(request.user, **filters)
    result = keyset_page(
        parties.select_related("owner", "organisation").prefetch_related("roles"),
        SORTS[sort],
        after=params.get("after", ""),
        before=params.get("before", ""),
        size=PAGE_SIZE,
    )
    count = parties.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "filters": filters,
        "sort": sort,
        "base_query": query.urlencode(),
        "kinds": PartyKind.choices,
        "roles": PartyRoleType.choices,
        # require_permission passed, so the user belongs to a company (policy: only an
        # active user of a company holds any permission).
        "tags": Tag.objects.filter(company_id=cast("int", request.user.company_id)).values_list(
            "name", flat=True
        )[:200],
        "owners": core_selectors.users_visible(request.user)
        .filter(is_active=True)
        .only("pk", "username", "first_name", "last_name")[:200],
        "can_create": policy.has_permission(request.user, "parties.change_party"),
    }
    if request.htmx and request.htmx.target == "party-results":
        return render(request, "web/parties/list.html#results", context)
    return render(request, "web/parties/list.html", context)


# ---- detail -----------------------------------------------------------------------------


def history_visible(user: User, party: Party) -> bool:
    """The audit history (who changed which field from what to what) shows to whoever may
    change the party, and to auditors (core.view_audit: management, administrators).
    Readers see the timeline but not former values of fields they cannot edit."""
    return policy.allows(user, "parties.change_party", party) or policy.has_permission(
        user, "core.view_audit"
    )


def _history_names(user: User, history: list[Any]) -> dict[str, dict[Any, str]]:
    """Names for the ids that audit rows hold (owner, team, organisation): one query per
    kind that occurs, and only what the user may see."""
    wanted: dict[str, set[int]] = {"owner": set(), "team": set(), "organisation": set()}
    for entry in history:
        for name, ids in wanted.items():
            change = entry.changes.get(name)
            if isinstance(change, list):
                ids.update(v for v in change if isinstance(v, int))
    sources = {
        "owner": lambda ids: core_selectors.users_visible(user).filter(pk__in=ids),
        "team": lambda ids: core_selectors.teams_visible(user).filter(pk__in=ids),
        "organisation": lambda ids: selectors.parties_visible(user).filter(pk__in=ids),
    }
    return {name: {obj.pk: str(obj) for obj in sources[name](ids)} for name, ids in wanted.items() if ids}


@page
def party_detail(request: AuthedRequest, party_id: int) -> HttpResponse:
    party = selectors.party_get_for_actor(request.user, party_id)
    show_history = history_visible(request.user, party)
    history = (
        list(core_selectors.audit_entries_for("parties.party", party.pk)[:HISTORY_LIMIT])
        if show_history
        else []
    )
    context = {
        "party": party,
        "roles": [PartyRoleType(r).label for r in party.roles.values_list("role", flat=True)],
        "tags": list(party.tags.values_list("name", flat=True)),
        "contact_points": list(party.contact_points.all()),
        "addresses": list(party.addresses.all()),
        "contacts": (
            list(
                selectors.parties_list(request.user, organisation_id=party.pk).order_by(
                    "normalized_name", "id"
                )[:50]
            )
            if party.is_organisation
            else []
        ),
        "timeline": list(selectors.timeline_of(party)[:HISTORY_LIMIT]),
        "show_history": show_history,
        "history": history,
        "history_names": _history_names(request.user, history),
        "can_change": party.merged_into_id is None
        and policy.allows(request.user, "parties.change_party", party),
        "can_merge": party.merged_into_id is None
        and policy.allows(request.user, "parties.merge_party", party),
        # The open balance and what is overdue, for whoever may read the ledger or the
        # party's invoices (sales and service in their scope).
        "balance": (
            aging.party_balance_for_actor(request.user, party_id=party.pk)
            if policy.has_permission(request.user, "finance.view_ledger")
            or policy.allows(request.user, "finance.view_invoice", party)
            else None
        ),
        # The party's latest invoices, for whoever reads invoices (scoped like the invoices).
        "invoices": (
            invoice_selectors.party_latest_invoices(request.user, party.pk)
            if policy.has_permission(request.user, "finance.view_invoice")
            else None
        ),
        # Sales: the customer's quotations and orders, a new one, the agreed terms.
        "can_sell": policy.has_permission(request.user, "sales.view_order"),
        "can_quote": policy.has_permission(request.user, "sales.manage_order"),
        "can_see_terms": policy.has_permission(request.user, "sales.view_terms"),
        "can_log_activity": policy.has_permission(request.user, "activities.view_activity"),
        "today": timezone.localdate(),
    }
    return render(request, "web/parties/detail.html", context)


# ---- create and edit --------------------------------------------------------------------


@dataclass
class PartyEditor:
    """The party form and its contact-point and address rows, bound or not."""

    form: PartyForm
    contact_points: forms.BaseFormSet
    addresses: forms.BaseFormSet
    sent_rows: dict[str, list[forms.Form]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        request: AuthedRequest,
        *,
        initial: dict[str, Any],
        points: Sequence[Mapping[str, Any]],
        addresses: Sequence[Mapping[str, Any]],
    ) -> PartyEditor:
        data = request.POST if request.method == "POST" else None
        users = [
            (u.pk, str(u)) for u in core_selectors.users_visible(request.user).filter(is_active=True)[:500]
        ]
        teams = list(core_selectors.teams_visible(request.user).values_list("pk", "name")[:500])
        return cls(
            form=PartyForm(data, initial=initial, users=users, teams=teams),
            contact_points=ContactPointFormSet(data, initial=points, prefix="contact_points"),
            addresses=AddressFormSet(
                data,
                initial=addresses,
                prefix="addresses",
                form_kwargs={"default_country": request.user.company.country if request.user.company else ""},
            ),
        )

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.contact_points.is_valid(), self.addresses.is_valid()])

    def _rows(self, formset: forms.BaseFormSet, name: str) -> list[dict[str, Any]]:
        kept = [
            f
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.has_changed() or f.initial)
        ]
        self.sent_rows[name] = kept
        return [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in kept]

    def values(self, *, only_changed: bool) -> dict[str, Any]:
        """The service's keyword arguments; on an edit only what the user changed, so an
        unchanged name does not ask again about a duplicate confirmed long ago."""
        data = self.form.cleaned_data
        names = [n for n in self.form.fields if n != "version"]
        if only_changed:
            names = [n for n in names if n in self.form.changed_data]
        values: dict[str, Any] = {n: data[n] for n in names}
        for name, formset in (("contact_points", self.contact_points), ("addresses", self.addresses)):
            rows = self._rows(formset, name)
            if not only_changed or formset.has_changed():
                values[name] = rows
        return values

    def show_error(self, exc: DomainError) -> None:
        form_add_domain_error(self.form, exc, self.sent_rows)


def _confirmed_ids(request: HttpRequest) -> list[int]:
    if request.POST.get("confirm_duplicates") != "1":
        return []
    return [int(v) for v in request.POST.getlist("confirmed_duplicate_ids") if v.isdigit()]


def _picker_choice(user: User, party_id: int | None) -> Party | None:
    """The organisation currently chosen in the form, if the user may see it."""
    if party_id is None:
        return None
    return selectors.parties_visible(user).filter(pk=party_id, kind=PartyKind.ORGANISATION).first()


def _render_form(
    request: AuthedRequest,
    editor: PartyEditor,
    *,
    party: Party | None,
    duplicates: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation_id = editor.form["organisation"].value()
    organisation = _picker_choice(request.user, _int(str(organisation_id)) if organisation_id else None)
    context = {"editor": editor, "party": party, "duplicates": duplicates or [], "organisation": organisation}
    return render(request, "web/parties/form.html", context, status=status)


@page
def party_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, "parties.change_party")
    user = request.user
    teams = policy.team_ids_of(user)
    initial = {
        "kind": request.GET.get("kind")
        if request.GET.get("kind") in PartyKind.values
        else PartyKind.ORGANISATION,
        "language": user.language,
        "owner": user.pk,
        "team": teams[0] if teams else None,
        "organisation": _int(request.GET.get("organisation")),
    }
    editor = PartyEditor.build(request, initial=initial, points=[], addresses=[])
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, party=None, status=422 if request.method == "POST" else 200)
    try:
        party = services.party_create(
            actor=user, confirmed_duplicate_ids=_confirmed_ids(request), **editor.values(only_changed=False)
        )
    except DuplicatePartyError as exc:
        return _render_form(request, editor, party=None, duplicates=exc.candidates, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, party=None, status=exc.status)
    messages.success(request, _("%(name)s was created.") % {"name": party.name})
    return redirect("web:party-detail", party.pk)


def _initial_of(party: Party) -> dict[str, Any]:
    return {
        "kind": party.kind,
        "name": party.name,
        "organisation": party.organisation_id,
        "job_title": party.job_title,
        "vat_number": party.vat_number,
        "coc_number": party.coc_number,
        "country": party.country,
        "language": party.language,
        "roles": list(party.roles.values_list("role", flat=True)),
        "tags": ", ".join(party.tags.values_list("name", flat=True)),
        "owner": party.owner_id,
        "team": party.team_id,
        "notes": party.notes,
        "version": party.version,
    }


@page
def party_edit(request: AuthedRequest, party_id: int) -> HttpResponse:
    require_permission(request, "parties.change_party")
    party = selectors.party_get_for_actor(request.user, party_id)
    if party.merged_into_id is not None or not policy.allows(request.user, "parties.change_party", party):
        raise PermissionDenied
    editor = PartyEditor.build(
        request,
        initial=_initial_of(party),
        points=list(party.contact_points.values("kind", "value", "label", "is_primary")),
        addresses=list(
            party.addresses.values("kind", "street", "postal_code", "city", "region", "country", "is_primary")
        ),
    )
    if request.method != "POST" or not editor.is_valid():
        return _render_form(request, editor, party=party, status=422 if request.method == "POST" else 200)
    try:
        services.party_update(
            actor=request.user,
            party_id=party.pk,
            version=editor.form.cleaned_data["version"],
            changes=editor.values(only_changed=True),
            confirmed_duplicate_ids=_confirmed_ids(request),
        )
    except DuplicatePartyError as exc:
        return _render_form(request, editor, party=party, duplicates=exc.candidates, status=409)
    except StaleVersionError:
        editor.form.add_error(
            None,
            _(
                "Someone else changed this party while you were editing it. Your changes were not saved: "
                "open the party again to see the current details, then make your changes once more."
            ),
        )
        return _render_form(request, editor, party=party, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        editor.show_error(exc)
        return _render_form(request, editor, party=party, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect("web:party-detail", party.pk)


# ---- archive ----------------------------------------------------------------------------


@require_POST
@page
def party_archive(request: AuthedRequest, party_id: int) -> HttpResponse:
    require_permission(request, "parties.change_party")
    archive = request.POST.get("is_archived") == "1"
    try:
        party = services.party_archive(
            actor=request.user,
            party_id=party_id,
            version=_int(request.POST.get("version")),
            is_archived=archive,
        )
    except StaleVersionError:
        messages.error(request, _("Someone else changed this party in the meantime; look again and retry."))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s was archived.") % {"name": party.name}
            if archive
            else _("%(name)s was restored.") % {"name": party.name},
        )
    return redirect("web:party-detail", party_id)


# ---- pickers and merge ------------------------------------------------------------------


@page
def party_picker(request: AuthedRequest) -> HttpResponse:
    """Server-side search for a relation picker: radio buttons named `field`."""
    require_permission(request, "parties.view_party")
    query = request.GET.get("q", "")[:100]
    kind = request.GET.get("kind", "") if request.GET.get("kind") in PartyKind.values else ""
    exclude = _int(request.GET.get("exclude"))
    hits: list[Party] = []
    if len(query.strip()) >= 2:
        qs = selectors.parties_list(request.user, q=query, kind=kind)
        if exclude is not None:
            qs = qs.exclude(pk=exclude)
        hits = list(
            qs.order_by("normalized_name", "id").only("pk", "name", "kind", "vat_number")[:PICKER_LIMIT]
        )
    field_name = request.GET.get("field") if request.GET.get("field") in PICKER_FIELDS else "party"
    context = {"hits": hits, "field": field_name, "query": query}
    return render(request, "web/parties/picker.html#options", context)


@page
def party_merge(request: AuthedRequest, party_id: int) -> HttpResponse:
    """Merge another party with this one: pick it, compare both, choose the survivor."""
    require_permission(request, "parties.merge_party")
    party = selectors.party_get_for_actor(request.user, party_id)
    if party.merged_into_id is not None or not policy.allows(request.user, "parties.merge_party", party):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    other_id = _int(data.get("other"))
    other = (
        selectors.party_get_for_actor(request.user, other_id) if other_id and other_id != party.pk else None
    )
    error = ""
    if request.method == "POST" and other is not None:
        keep = _int(request.POST.get("keep"))
        target, source = (other, party) if keep == other.pk else (party, other)
        try:
            survivor = services.party_merge(actor=request.user, source_id=source.pk, target_id=target.pk)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc.message
        else:
            messages.success(
                request,
                _("%(source)s was merged into %(target)s.")
                % {"source": source.name, "target": survivor.name},
            )
            return redirect("web:party-detail", survivor.pk)
    comparison = []
    if other is not None:
        for name in MERGE_COMPARED:
            # MERGE_COMPARED names concrete fields of Party, never a reverse relation.
            model_field = cast("Field[Any, Any]", Party._meta.get_field(name))
            left, right = getattr(party, name), getattr(other, name)
            if name == "kind":
                left, right = party.get_kind_display(), other.get_kind_display()
            comparison.append((model_field.verbose_name, left or "", right or ""))
        comparison.append((_("Roles"), ", ".join(_role_labels(party)), ", ".join(_role_labels(other))))
    context = {
        "party": party,
        "other": other,
        "comparison": comparison,
        "error": error,
    }
    return render(request, "web/parties/merge.html", context, status=422 if error else 200)


def _role_labels(party: Party) -> list[str]:
    return [str(PartyRoleType(r).label) for r in party.roles.values_list("role", flat=True)]
