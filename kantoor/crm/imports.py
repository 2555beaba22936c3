"""Leads from a CSV file (comma or semicolon separated, UTF-8), all or none.

Columns (a heading row, any order, unknown columns refused): contact_name,
organisation_name, email, phone, job_title, country, message, source, channel,
source_detail, owner (a user's username or e-mail address). A row needs a contact name or
an organisation. `source` defaults to "import", `channel` to "other", `owner` to the
importing user.

Every row is checked before anything is written; when any row has a problem, nothing is
imported and one LeadImportError lists "row N, column X: message" for each problem (the
first MAX_PROBLEMS). Rows are numbered as a spreadsheet shows them (the heading is row 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kantoor.core import policy
from kantoor.core.errors import DomainError
from kantoor.core.models import Company, User
from kantoor.crm import selectors, services
from kantoor.crm.errors import LeadImportError
from kantoor.crm.models import Lead, LeadSource

COLUMNS = [
    "contact_name",
    "organisation_name",
    "email",
    "phone",
    "job_title",
    "country",
    "message",
    "source",
    "channel",
    "source_detail",
    "owner",
]
MAX_PROBLEMS = 50
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)d, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("row %(row)d: %(message)s") % {"row": self.row, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    lead_ids: tuple[int, ...] = ()


def _raise(problems: list[Problem]) -> None:
    total = len(problems)
    if not total:
        return
    shown = sorted(problems, key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else -1))
    shown = shown[:MAX_PROBLEMS]
    lines = [str(p) for p in shown]
    if total > len(shown):
        lines.append(_("… and %d more problems.") % (total - len(shown)))
    detail = (
        ngettext(
            "The file has %d problem; nothing was imported.",
            "The file has %d problems; nothing was imported.",
            total,
        )
        % total
    )
    raise LeadImportError(
        detail,
        field_errors={"file": lines},
        extra={"problems": [p.as_dict() for p in shown], "problem_count": total},
    )


def _rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LeadImportError.for_field(
            "file", _("The file is not UTF-8 text; save it as “CSV UTF-8”.")
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise LeadImportError.for_field("file", _("The file is not valid CSV: %s") % exc) from None


def _owners(company_id: int, names: set[str]) -> dict[str, int]:
    """Active users of the company by lower-cased username and e-mail address."""
    if not names:
        return {}
    users = User.objects.filter(company_id=company_id, is_active=True).filter(
        Q(username__in=names) | Q(email__in=names)
    )
    found: dict[str, int] = {}
    for pk, username, email in users.values_list("pk", "username", "email"):
        found[username.lower()] = pk
        if email:
            found.setdefault(email.lower(), pk)
    return found


def leads_import(*, actor: User, content: bytes) -> ImportResult:
    """Check every row, then create all the leads in one transaction (or none).
    Needs crm.create_lead; each lead is scored and publishes LeadCreated."""
    policy.require(actor, selectors.CREATE_LEAD)
    company_id = policy.actor_company_id(actor)
    if len(content) > MAX_BYTES:
        raise LeadImportError.for_field("file", _("The file is larger than 5 MB."))
    rows = _rows(content)
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise LeadImportError.for_field("file", _("The file is empty."))
    heading = [cell.strip().lower() for cell in rows[0]]
    problems: list[Problem] = []
    unknown = [name for name in heading if name not in COLUMNS]
    for name in unknown:
        problems.append(Problem(1, name, _("Unknown column; use: %s.") % ", ".join(COLUMNS)))
    repeated = {name for name in heading if heading.count(name) > 1}
    for name in sorted(repeated):
        problems.append(Problem(1, name, _("This column appears more than once.")))
    if "contact_name" not in heading and "organisation_name" not in heading:
        problems.append(Problem(1, "", _("Give a contact_name or organisation_name column.")))
    _raise(problems)
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise LeadImportError.for_field("file", _("At most %d rows can be imported at once.") % MAX_ROWS)
    if not body:
        raise LeadImportError.for_field("file", _("The file has no rows to import."))
    records: list[tuple[int, dict[str, str]]] = []
    for index, cells in enumerate(body, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(heading):
            problems.append(Problem(index, "", _("This row has more cells than the heading.")))
            continue
        records.append(
            (index, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(heading)})
        )
    owners = _owners(company_id, {r["owner"].lower() for _n, r in records if r.get("owner")})
    leads: list[Lead] = []
    for number, record in records:
        values: dict[str, Any] = {k: v for k, v in record.items() if k != "owner"}
        values["source"] = values.get("source") or LeadSource.IMPORT
        values["channel"] = values.get("channel") or "other"
        if record.get("owner"):
            owner_id = owners.get(record["owner"].lower())
            if owner_id is None:
                problems.append(
                    Problem(number, "owner", _("No active user with this username or e-mail address."))
                )
                continue
            values["owner"] = owner_id
        try:
            leads.append(services.lead_build(actor=actor, values=values))
        except DomainError as exc:
            if not exc.field_errors:
                problems.append(Problem(number, "", exc.message))
            for name, messages in exc.field_errors.items():
                column = {"owner": "owner", "team": ""}.get(name, name)
                for message in messages:
                    problems.append(Problem(number, column, message))
    _raise(problems)
    return _insert(actor, company_id, leads)


@transaction.atomic
def _insert(actor: User, company_id: int, leads: list[Lead]) -> ImportResult:
    company = Company.objects.get(pk=company_id)
    for lead in leads:
        services.lead_insert(actor, lead, company)
    return ImportResult(created=len(leads), lead_ids=tuple(lead.pk for lead in leads))
