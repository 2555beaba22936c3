"""Pages of activities: "My activities" (open first, overdue flagged, a quick "done"
button, a quick-add form, the calendar feed's URL), the month calendar, the activity form,
and the panel other apps' detail pages include with
`hx-get="{% url 'web:activity-panel' %}?target=sales.salesorder:12"`: the record's
activities and a small form to log one. The calendar feed itself (`.ics`) is public: its
secret token is the credential.

Every page calls the activities' selectors and services with `request.user`, so the policy
decides what is shown and allowed. Times are shown and entered in the company's time zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kantoor.activities import feed, selectors, services
from kantoor.activities.errors import ActivityInvalidError
from kantoor.activities.models import Activity, ActivityKind, ActivityState
from kantoor.activities.targets import target_parse
from kantoor.core import policy
from kantoor.core.errors import DomainError, StaleVersionError
from kantoor.core.models import User
from kantoor.parties.models import Party
from kantoor.web.forms import form_add_domain_error
from kantoor.web.pagination import Ordering, keyset_page
from kantoor.web.shortcuts import AuthedRequest, page, require_permission, safe_next

P = ParamSpec("P")
VIEW = selectors.VIEW
MANAGE = selectors.MANAGE
PAGE_SIZE = 25
PANEL_SIZE = 20
COUNT_CAP = 1000
ORDER = Ordering("agenda_key")
STATE_TABS = [
    (ActivityState.OPEN.value, gettext_lazy("Open")),
    (ActivityState.DONE.value, gettext_lazy("Done")),
    (ActivityState.CANCELLED.value, gettext_lazy("Cancelled")),
    ("all", gettext_lazy("All")),
]
LOCAL = "%Y-%m-%dT%H:%M"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    company = getattr(request.user, "company", None)
    try:
        return zoneinfo.ZoneInfo(company.time_zone if company else "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def company_time(
    view: Callable[Concatenate[AuthedRequest, P], HttpResponse],
) -> Callable[Concatenate[AuthedRequest, P], HttpResponse]:
    """Show and read times in the company's time zone (forms parse, templates print)."""

    @wraps(view)
    def wrapped(request: AuthedRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        with timezone.override(_zone(request)):
            return view(request, *args, **kwargs)

    return wrapped


def _refused(request: AuthedRequest, exc: DomainError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.message)


# ---- forms -------------------------------------------------------------------------------


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )


class QuickAddForm(forms.Form):
    """Log an activity in one line: what, which, by when."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ActivityKind.choices, initial="task")
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    due_date = forms.DateField(
        label=gettext_lazy("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    target = forms.CharField(required=False, max_length=220, widget=forms.HiddenInput)


class ActivityForm(forms.Form):
    """The whole activity; names match the service's, so its field errors land here."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Calls and meetings with a start are due that day."),
    )
    starts_at = _datetime_field(gettext_lazy("Starts at"))
    ends_at = _datetime_field(gettext_lazy("Ends at"))
    assignee_id = forms.TypedChoiceField(label=gettext_lazy("Assigned to"), coerce=int, empty_value=None)
    reminder_at = _datetime_field(gettext_lazy("Remind me at"))
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    target = forms.CharField(required=False, max_length=220, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, users: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["assignee_id"]).choices = [
            (user.pk, user.get_full_name() or user.username) for user in users
        ]

    def values(self, party_id: int | None) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "notes": data["notes"],
            "due_date": data["due_date"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "assignee_id": data["assignee_id"],
            "reminder_at": data["reminder_at"],
            "party_id": party_id,
            "target": data["target"] or "",
        }


def _users(request: AuthedRequest) -> list[User]:
    return list(selectors.assignable_users(request.user))


def _chosen_party(request: AuthedRequest, party_id: int | None) -> Party | None:
    if party_id is None:
        return None
    return selectors.party_visible(request.user, party_id)


def _feed_url(request: AuthedRequest) -> str:
    own = selectors.feed_of_user(request.user)
    return request.build_absolute_uri(reverse("web:activity-feed", args=[own.token])) if own else ""


# ---- my activities -----------------------------------------------------------------------


@page
@company_time
def activity_list(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    params = request.GET
    state = params.get("state", "open")
    if state not in ActivityState.values and state != "all":
        state = ActivityState.OPEN
    kind = params.get("kind", "") if params.get("kind") in ActivityKind.values else ""
    scope = "all" if params.get("scope") == "all" else "mine"
    q = params.get("q", "").strip()[:100]
    activities = selectors.with_overdue(
        selectors.activities_list(
            request.user, mine=scope == "mine", state="" if state == "all" else state, kind=kind, q=q
        ),
        selectors.company_today(request.user.company),
    )
    result = keyset_page(
        activities, ORDER, after=params.get("after", ""), before=params.get("before", ""), size=PAGE_SIZE
    )
    count = activities.order_by()[: COUNT_CAP + 1].count()
    query = params.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "page": result,
        "count": min(count, COUNT_CAP),
        "count_capped": count > COUNT_CAP,
        "base_query": query.urlencode(),
        "state": state,
        "kind": kind,
        "scope": scope,
        "q": q,
        "tabs": STATE_TABS,
        "kinds": ActivityKind.choices,
        "quick": QuickAddForm(),
        "can_manage": policy.has_permission(request.user, MANAGE),
        "feed_url": _feed_url(request),
    }
    if request.htmx and request.htmx.target == "activity-results":
        return render(request, "web/activities/list.html#results", context)
    return render(request, "web/activities/list.html", context)


@require_POST
@page
@company_time
def activity_quick_add(request: AuthedRequest) -> HttpResponse:
    """Log an activity from the quick-add form of the list or of a record's panel (HTMX:
    the panel is rendered again, with the form's errors if any)."""
    require_permission(request, MANAGE)
    form = QuickAddForm(request.POST)
    target = request.POST.get("target", "")
    in_panel = bool(request.htmx) and bool(target)
    if form.is_valid():
        try:
            activity = services.activity_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                subject=form.cleaned_data["subject"],
                due_date=form.cleaned_data["due_date"],
                target=form.cleaned_data["target"] or "",
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form_add_domain_error(form, exc)
        else:
            if in_panel:
                return _panel(request, target, QuickAddForm(initial={"target": target}))
            messages.success(request, _("“%(subject)s” was logged.") % {"subject": activity.subject})
            return redirect(safe_next(request, reverse("web:activity-list")))
    if in_panel:
        return _panel(request, target, form, status=422)
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(
                request, f"{form.fields[field].label}: {error}" if field in form.fields else str(error)
            )
    return redirect(safe_next(request, reverse("web:activity-list")))


def _transition(
    request: AuthedRequest, activity_id: int, action: Callable[..., Activity], message: str
) -> HttpResponse:
    try:
        version = _int(request.POST.get("version"))
        activity = action(actor=request.user, activity_id=activity_id, version=version)
    except DomainError as exc:
        _refused(request, exc)
        activity = selectors.activity_get_for_actor(request.user, activity_id)
    else:
        if not request.htmx:
            messages.success(request, message % {"subject": activity.subject})
    if request.htmx:
        target = request.POST.get("target", "")
        if target:
            return _panel(request, target, QuickAddForm(initial={"target": target}))
        activity = selectors.with_overdue(
            selectors.activities_visible(request.user), selectors.company_today(request.user.company)
        ).get(pk=activity.pk)
        return render(request, "web/activities/_row.html", {"activity": activity, "can_manage": True})
    return redirect(safe_next(request, reverse("web:activity-list")))


@require_POST
@page
@company_time
def activity_done(request: AuthedRequest, activity_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    return _transition(request, activity_id, services.activity_done, _("“%(subject)s” is done."))


@require_POST
@page
@company_time
def activity_reopen(request: AuthedRequest, activity_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    return _transition(request, activity_id, services.activity_reopen, _("“%(subject)s” is open again."))


@require_POST
@page
@company_time
def activity_cancel(request: AuthedRequest, activity_id: int) -> HttpResponse:
    require_permission(request, MANAGE)
    return _transition(request, activity_id, services.activity_cancel, _("“%(subject)s” was cancelled."))


# ---- the form ----------------------------------------------------------------------------


def _render_form(
    request: AuthedRequest,
    form: ActivityForm,
    *,
    activity: Activity | None,
    party: Party | None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "activity": activity, "party": party, "next": safe_next(request, "")}
    return render(request, "web/activities/form.html", context, status=status)


def _party_from_post(request: AuthedRequest) -> int | None:
    return _int(request.POST.get("party"))


@page
@company_time
def activity_create(request: AuthedRequest) -> HttpResponse:
    require_permission(request, MANAGE)
    target = request.GET.get("target", "")[:220]
    initial: dict[str, Any] = {
        "kind": request.GET.get("kind") if request.GET.get("kind") in ActivityKind.values else "task",
        "assignee_id": request.user.pk,
        "target": target,
        "due_date": request.GET.get("date") or None,
    }
    form = ActivityForm(request.POST or None, initial=initial, users=_users(request))
    party_id = _party_from_post(request) if request.method == "POST" else _int(request.GET.get("party"))
    party = _chosen_party(request, party_id)
    if request.method != "POST" or not form.is_valid():
        return _render_form(
            request, form, activity=None, party=party, status=422 if request.method == "POST" else 200
        )
    try:
        activity = services.activity_create(actor=request.user, **form.values(party_id))
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc, renames={"party_id": "party"})
        return _render_form(request, form, activity=None, party=party, status=exc.status)
    messages.success(request, _("“%(subject)s” was logged.") % {"subject": activity.subject})
    return redirect(safe_next(request, reverse("web:activity-list")))


@page
@company_time
def activity_edit(request: AuthedRequest, activity_id: int) -> HttpResponse:
    require_permission(request, VIEW)
    activity = selectors.activity_get_for_actor(request.user, activity_id)
    may_manage = policy.allows(request.user, MANAGE, activity) and activity.state != ActivityState.CANCELLED
    if request.method == "POST" and not may_manage:
        raise PermissionDenied
    form = ActivityForm(
        request.POST if request.method == "POST" and may_manage else None,
        initial={
            "kind": activity.kind,
            "subject": activity.subject,
            "notes": activity.notes,
            "due_date": activity.due_date,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "assignee_id": activity.assignee_id,
            "reminder_at": activity.reminder_at,
            "target": activity.target,
            "version": activity.version,
        },
        users=_users(request),
    )
    if not may_manage:
        for field in form.fields.values():
            field.disabled = True
    party_id = _party_from_post(request) if request.method == "POST" else activity.party_id
    party = _chosen_party(request, party_id) if request.method == "POST" else activity.party
    if request.method != "POST" or not may_manage or not form.is_valid():
        status = 422 if request.method == "POST" and may_manage else 200
        return _render_form(request, form, activity=activity, party=party, status=status)
    version = form.cleaned_data["version"]
    values = form.values(party_id)
    if values["target"] == activity.target:
        values.pop("target")  # unchanged: not checked again
    try:
        services.activity_update(
            actor=request.user,
            activity_id=activity.pk,
            version=version if version is not None else activity.version,
            **values,
        )
    except StaleVersionError:
        form.add_error(
            None,
            _(
                "Someone else changed this activity while you were editing it. Your changes were not "
                "saved: open it again to see the current version, then make your changes once more."
            ),
        )
        return _render_form(request, form, activity=activity, party=party, status=409)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form_add_domain_error(form, exc, renames={"party_id": "party"})
        return _render_form(request, form, activity=activity, party=party, status=exc.status)
    messages.success(request, _("Your changes were saved."))
    return redirect(safe_next(request, reverse("web:activity-list")))


# ---- calendar ----------------------------------------------------------------------------


@page
@company_time
def activity_calendar(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    today = selectors.company_today(request.user.company)
    year, _dash, month_number = request.GET.get("month", "").partition("-")
    try:
        first = dt.date(int(year), int(month_number), 1)
    except (ValueError, OverflowError):
        first = today.replace(day=1)
    if not 1900 <= first.year <= 9000:
        first = today.replace(day=1)
    scope = "all" if request.GET.get("scope") == "all" else "mine"
    month = selectors.calendar_month(request.user, first.year, first.month, mine=scope == "mine")
    context = {
        "month": month,
        "scope": scope,
        "today": today,
        "can_manage": policy.has_permission(request.user, MANAGE),
    }
    if request.htmx and request.htmx.target == "calendar":
        return render(request, "web/activities/calendar.html#grid", context)
    return render(request, "web/activities/calendar.html", context)


# ---- the panel of a record ---------------------------------------------------------------


def _panel(request: AuthedRequest, target: str, form: QuickAddForm, status: int = 200) -> HttpResponse:
    try:
        target_parse(target)
    except ActivityInvalidError:
        raise Http404 from None
    activities = selectors.with_overdue(
        selectors.activities_of_target(request.user, target), selectors.company_today(request.user.company)
    )
    rows = list(activities[: PANEL_SIZE + 1])
    context = {
        "activities": rows[:PANEL_SIZE],
        "more": len(rows) > PANEL_SIZE,
        "target": target,
        "form": form,
        "can_manage": policy.has_permission(request.user, MANAGE),
    }
    return render(request, "web/activities/_panel.html", context, status=status)


@require_GET
@page
@company_time
def activity_panel(request: AuthedRequest) -> HttpResponse:
    """The activities of one record (?target=app.model:id) and a quick-add form, for other
    apps' detail pages to load with hx-get."""
    require_permission(request, VIEW)
    target = request.GET.get("target", "")[:220]
    return _panel(request, target, QuickAddForm(initial={"target": target}))


# ---- the calendar feed -------------------------------------------------------------------


@require_POST
@page
def feed_rotate(request: AuthedRequest) -> HttpResponse:
    require_permission(request, VIEW)
    services.feed_rotate(actor=request.user)
    messages.success(
        request,
        _("Your calendar feed has a new address. Subscribe to it again; the old one no longer works."),
    )
    return redirect(safe_next(request, reverse("web:activity-list")))


@require_GET
@never_cache
def activity_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's activities as iCalendar, for calendar apps to subscribe to; no session:
    the secret token in the URL is the credential (an unknown one is a 404)."""
    content = feed.feed_ics(token)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="activities.ics"'
    return response


urlpatterns: list[URLPattern] = [
    path("activities/", activity_list, name="activity-list"),
    path("activities/new/", activity_create, name="activity-create"),
    path("activities/quick-add/", activity_quick_add, name="activity-quick-add"),
    # Outside /activities/: the menu marks an entry current when the page is under its URL.
    path("calendar/", activity_calendar, name="activity-calendar"),
    path("activities/panel/", activity_panel, name="activity-panel"),
    path("activities/feed/rotate/", feed_rotate, name="activity-feed-rotate"),
    path("activities/feed/<str:token>.ics", activity_feed, name="activity-feed"),
    path("activities/<int:activity_id>/", activity_edit, name="activity-edit"),
    path("activities/<int:activity_id>/done/", activity_done, name="activity-done"),
    path("activities/<int:activity_id>/reopen/", activity_reopen, name="activity-reopen"),
    path("activities/<int:activity_id>/cancel/", activity_cancel, name="activity-cancel"),
]
