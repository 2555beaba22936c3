"""Demo parties: Dutch and European organisations with valid identifiers, their contact
persons, a few consumers, some archived parties and one merged pair.

`PartyGenerator` is also what `kantoor bench parties` creates its parties with: realistic,
unique (names, VAT numbers and e-mail addresses never collide, so the duplicate check
passes) and the same for the same seed. Check digits come from python-stdnum's algorithms
and every VAT number and Dutch postal code is validated with python-stdnum.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.iso7064 import mod_11_10
from stdnum.nl import postcode as nl_postcode

from kantoor.core import demo
from kantoor.core.models import Company, Team, User
from kantoor.parties import selectors
from kantoor.parties.models import Party, normalise_name
from kantoor.parties.services import party_archive, party_create, party_merge

DEMO_PARTIES = 400

# fmt: off
# Cities with a real postal code range (first four digits), telephone area code and region.
NL_CITIES = [
    ("Amsterdam", 1011, 1109, "20", "north"), ("Rotterdam", 3011, 3089, "10", "south"),
    ("Den Haag", 2491, 2599, "70", "south"), ("Utrecht", 3511, 3585, "30", "north"),
    ("Eindhoven", 5611, 5658, "40", "south"), ("Groningen", 9711, 9747, "50", "north"),
    ("Tilburg", 5011, 5049, "13", "south"), ("Almere", 1311, 1364, "36", "north"),
    ("Breda", 4811, 4839, "76", "south"), ("Nijmegen", 6511, 6546, "24", "south"),
    ("Haarlem", 2011, 2037, "23", "north"), ("Arnhem", 6811, 6846, "26", "south"),
    ("Zwolle", 8011, 8048, "38", "north"), ("Leiden", 2311, 2334, "71", "south"),
    ("Maastricht", 6211, 6229, "43", "south"), ("Delft", 2611, 2629, "15", "south"),
    ("Amersfoort", 3811, 3829, "33", "north"), ("Apeldoorn", 7311, 7339, "55", "north"),
    ("Enschede", 7511, 7548, "53", "north"), ("'s-Hertogenbosch", 5211, 5249, "73", "south"),
    ("Leeuwarden", 8911, 8939, "58", "north"), ("Alkmaar", 1811, 1827, "72", "north"),
    ("Deventer", 7411, 7429, "570", "north"), ("Gouda", 2801, 2809, "182", "south"),
]
NL_STREETS = [
    "Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Schoolstraat", "Hoofdstraat", "Industrieweg",
    "Nieuwstraat", "Marktplein", "Julianastraat", "Beatrixlaan", "Wilhelminastraat", "Oranjestraat",
    "Parallelweg", "Kanaalweg", "Havenstraat", "Keizersgracht", "Vondellaan", "Spoorlaan", "Energieweg",
    "Ambachtsweg", "Edisonstraat", "Zuiderzeeweg", "Lange Voorhout", "Binnenweg", "Nobelstraat",
]
FOREIGN: dict[str, dict[str, Any]] = {
    "BE": {
        "cities": [("Brussel", "1000", "2"), ("Antwerpen", "2000", "3"), ("Gent", "9000", "9"),
                   ("Leuven", "3000", "16")],
        "streets": ["Wetstraat", "Meir", "Korenmarkt", "Bondgenotenlaan", "Louizalaan"],
        "surnames": ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens"],
        "trades": ["Bouw", "Logistics", "Staalbouw", "Drukwerk", "Catering", "Verpakking", "Consult"],
        "forms": [" BV", " NV", " BV", " SRL"],
        "dial": "32", "mobile": "4", "language": "nl", "tld": "be",
    },
    "DE": {
        "cities": [("Berlin", "10115", "30"), ("Hamburg", "20095", "40"), ("Köln", "50667", "221"),
                   ("Düsseldorf", "40213", "211"), ("München", "80331", "89")],
        "streets": ["Friedrichstraße", "Königsallee", "Hohe Straße", "Mönckebergstraße", "Leopoldstraße"],
        "surnames": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"],
        "trades": ["Logistik", "Maschinenbau", "Elektrotechnik", "Verpackungen", "Metallbau", "Großhandel"],
        "forms": [" GmbH", " GmbH", " AG", " GmbH & Co. KG"],
        "dial": "49", "mobile": "151", "language": "en", "tld": "de",
    },
    "FR": {
        "cities": [("Paris", "75002", "1"), ("Lille", "59000", "3"), ("Lyon", "69002", "4"),
                   ("Strasbourg", "67000", "3")],
        "streets": ["Rue de Rivoli", "Boulevard Haussmann", "Rue Nationale", "Rue de la République"],
        "surnames": ["Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Laurent", "Lefebvre"],
        "trades": ["Transports", "Emballages", "Logistique", "Conseil", "Distribution", "Industrie"],
        "forms": [" SAS", " SARL", " SA"],
        "dial": "33", "mobile": "6", "language": "en", "tld": "fr",
    },
}
SURNAMES = [
    "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
    "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan",
    "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Jong", "van Dijk",
    "Janssen", "Willems", "Schouten", "van Beek", "Hoekstra", "Koster", "Prins", "Post", "Kuipers",
    "Huisman", "Verhoeven", "Maas", "Kramer", "van Wijk", "Boersma", "Timmermans", "Groen", "Wouters",
    "Veenstra", "Kuiper", "van Dam", "Gerritsen", "Lammers", "Zwart", "Scholten", "Bosman", "Postma",
    "Molenaar", "Sanders", "Verbeek", "Evers", "Hermans", "Claassen", "Brink", "Koning", "Blom",
    "van Vliet", "Hoogendoorn", "Kroon",
]
FIRST_NAMES = [
    "Jan", "Pieter", "Kees", "Sander", "Thomas", "Lucas", "Daan", "Sem", "Finn", "Jesse", "Noah", "Bram",
    "Ruben", "Lars", "Tim", "Joost", "Maarten", "Wouter", "Erik", "Marco", "Anna", "Emma", "Julia",
    "Sophie", "Lisa", "Eva", "Sara", "Fleur", "Noor", "Iris", "Lotte", "Femke", "Anouk", "Marieke",
    "Ingrid", "Linda", "Esther", "Petra", "Monique", "Sanne", "Claire", "Luc", "Hannah", "Lena", "Jonas",
    "Felix",
]
TRADES = [
    "Bakkerij", "Slagerij", "Installatietechniek", "Bouwbedrijf", "Transport", "Logistiek", "Adviesgroep",
    "Accountants", "Schilderwerken", "Elektrotechniek", "Groothandel", "Tuincentrum", "Autobedrijf",
    "Drukkerij", "Metaalbewerking", "Schoonmaakdiensten", "Catering", "Houtbouw", "Dakdekkers",
    "Verhuizingen", "Architecten", "Advocaten", "Reclamebureau", "ICT Diensten", "Zorggroep", "Kozijnen",
    "Keukens", "Fietsen", "Verpakkingen", "Machinebouw",
]
BRANDS = [
    "Noorderlicht", "Zuiderzon", "Polderwind", "Tulpenveld", "Molenhoek", "Duinzicht", "Rivierenland",
    "Horizon", "Kompas", "Vlinder", "Eikenhof", "Sterrenwacht", "Waterkant", "Zeebries", "Bloesem",
    "Lindeboom", "Klaproos", "Meerzicht", "Hooiberg", "Stadshart",
]
BRAND_TRADES = ["Logistiek", "Media", "Techniek", "Software", "Retail", "Foods", "Energie", "Consult"]
LEGAL_FORMS = [" B.V.", " B.V.", " B.V.", " V.O.F.", "", " Holding B.V."]
JOB_TITLES = [
    "Directeur", "Inkoper", "Office manager", "Financieel administrateur", "Projectleider", "Hoofd inkoop",
    "Eigenaar", "Operationeel manager", "Accountmanager", "Controller", "Facilitair manager", "CFO", "CEO",
]
TAGS = [
    "horeca", "bouw", "zorg", "logistiek", "retail", "overheid", "export", "groothandel", "ict",
    "key account", "nieuwsbrief", "beurs 2026",
]
# fmt: on

_LEGAL_FORM_END = re.compile(
    r" (Holding B\.V\.|B\.V\.|V\.O\.F\.|BV|NV|SRL|GmbH & Co\. KG|GmbH|AG|SAS|SARL|SA)$"
)


def _surname(full_name: str) -> str:
    """'Anna K. de Vries' -> 'de Vries'."""
    return " ".join(part for part in full_name.split(" ")[1:] if not part.endswith("."))


@dataclass
class PartySpec:
    """One party to create: the keyword arguments of `party_create`, plus how it links up."""

    name: str
    kind: str
    fields: dict[str, Any]
    region: str = "north"
    organisation_name: str = ""  # a contact person's organisation
    persons: list[PartySpec] = field(default_factory=list)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.replace("&", "en"))


class PartyGenerator:
    """Realistic, unique parties from one seeded generator: the same seed, the same parties."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._normalise = normalise_name
        self._names: set[str] = set()
        self._vat: set[str] = set()
        self._coc: set[str] = set()
        self._emails: set[str] = set()

    def vat_number(self, country: str) -> str:
        """A valid, unused VAT number of `country`, its check digits computed."""
        rng = self.rng
        while True:
            if country == "NL":  # RSIN with the eleven-test, then B01..B03
                digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
                check = sum((9 - i) * d for i, d in enumerate(digits)) % 11
                if check == 10:
                    continue
                number = "NL" + "".join(map(str, digits)) + str(check) + f"B0{rng.randint(1, 3)}"
            elif country == "BE":  # 0 + 7 digits, then 97 - (the 8 digits mod 97)
                base = f"0{rng.randint(2_000_000, 9_999_999)}"
                number = f"BE{base}{97 - int(base) % 97:02d}"
            elif country == "DE":  # 8 digits and an ISO 7064 MOD 11,10 check digit
                base = str(rng.randint(10_000_000, 99_999_999))
                number = "DE" + base + mod_11_10.calc_check_digit(base)
            elif country == "FR":  # SIREN with its Luhn digit, then the two-digit key
                base = str(rng.randint(10_000_000, 99_999_999))
                siren = base + luhn.calc_check_digit(base)
                number = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
            else:
                raise ValueError(country)
            number = str(eu_vat.validate(number))
            if number not in self._vat:
                self._vat.add(number)
                return number

    def coc_number(self) -> str:
        while True:
            number = str(self.rng.randint(10_000_000, 99_999_999))
            if number not in self._coc:
                self._coc.add(number)
                return number

    def nl_postal_code(self, low: int, high: int) -> str:
        while True:
            letters = "".join(self.rng.choice("ABCDEFGHJKLMNPRSTVWXZ") for _ in range(2))
            try:
                return str(nl_postcode.validate(f"{self.rng.randint(low, high)}{letters}"))
            except ValueError:  # SA, SD and SS are not issued
                continue

    def _unique_name(self, draw: Callable[[], str]) -> str:
        for _attempt in range(25):
            name = draw()
            if self._normalise(name) not in self._names:
                break
        branch = 2
        base = name
        while self._normalise(name) in self._names:  # the space of names is spent: number them
            name = f"{base} {branch}"
            branch += 1
        self._names.add(self._normalise(name))
        return name

    def foreign_name(self, country: str, city: str) -> str:
        rng, info = self.rng, FOREIGN[country]

        def draw() -> str:
            surname, trade = rng.choice(info["surnames"]), rng.choice(info["trades"])
            patterns = (f"{surname} {trade}", f"{trade} {surname} {city}", f"{surname} & {{}} {trade}")
            name = patterns[rng.randrange(3)]
            if "{}" in name:
                name = name.format(rng.choice(info["surnames"]))
            return name + rng.choice(info["forms"])

        return self._unique_name(draw)

    def organisation_name(self, city: str) -> str:
        rng = self.rng

        def draw() -> str:
            surname = rng.choice(SURNAMES)
            family = surname[0].upper() + surname[1:]
            pattern = rng.randrange(6)
            if pattern == 0:
                name = f"{rng.choice(TRADES)} {family}"
            elif pattern == 1:
                name = f"{family} {rng.choice(TRADES)}"
            elif pattern == 2:
                name = f"{family} & Zonen"
            elif pattern == 3:
                name = f"{rng.choice(BRANDS)} {rng.choice(BRAND_TRADES)}"
            elif pattern == 4:
                name = f"{rng.choice(TRADES)} {city}"
            else:
                name = f"{family} & {rng.choice(SURNAMES)} {rng.choice(TRADES)}"
            return name + rng.choice(LEGAL_FORMS)

        return self._unique_name(draw)

    def person_name(self) -> tuple[str, str]:
        """(first name, full name), e.g. ('Anna', 'Anna K. de Vries')."""
        rng = self.rng

        def draw() -> str:
            first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            if rng.random() < 0.7:
                return f"{first} {rng.choice('ABCDEFGHIJKLMNOPRSTW')}. {surname}"
            return f"{first} {surname}"

        name = self._unique_name(draw)
        return name.split(" ")[0], name

    def _email(self, local: str, domain: str) -> str:
        address = f"{local}@{domain}"
        number = 2
        while address in self._emails:
            address = f"{local}{number}@{domain}"
            number += 1
        self._emails.add(address)
        return address

    def organisation(self) -> PartySpec:
        rng = self.rng
        country = rng.choices(["NL", "BE", "DE", "FR"], weights=[80, 9, 7, 4])[0]
        if country == "NL":
            city, low, high, area, region = rng.choice(NL_CITIES)
            postal_code = self.nl_postal_code(low, high)
            street = f"{rng.choice(NL_STREETS)} {rng.randint(1, 250)}"
            subscriber = str(rng.randint(2 * 10 ** (8 - len(area)), 10 ** (9 - len(area)) - 1))
            phone = f"+31 {area} {subscriber[:3]} {subscriber[3:]}"
            tld, language = "nl", "nl"
        else:
            info = FOREIGN[country]
            city, postal_code, area = rng.choice(info["cities"])
            street = f"{rng.choice(info['streets'])} {rng.randint(1, 180)}"
            phone = f"+{info['dial']} {area} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            tld, language, region = info["tld"], info["language"], "south"
        name = self.organisation_name(city) if country == "NL" else self.foreign_name(country, city)
        domain = f"{_slug(_LEGAL_FORM_END.sub('', name))}.{tld}.example"
        roll = rng.random()
        roles = (
            ["customer"]
            if roll < 0.45
            else ["prospect"]
            if roll < 0.65
            else ["supplier"]
            if roll < 0.85
            else ["partner"]
            if roll < 0.9
            else ["customer", "supplier"]
        )
        tags = sorted(rng.sample(TAGS, k=rng.choice([0, 0, 1, 1, 2])))
        contact_points = [
            {
                "kind": "email",
                "value": self._email(rng.choice(["info", "contact", "administratie", "sales"]), domain),
                "label": "",
                "is_primary": True,
            },
            {"kind": "phone", "value": phone, "label": "Reception", "is_primary": True},
            {"kind": "website", "value": f"https://www.{domain}", "label": "", "is_primary": True},
        ]
        addresses = [
            {
                "kind": "visit",
                "street": street,
                "postal_code": postal_code,
                "city": city,
                "country": country,
                "is_primary": True,
            }
        ]
        if rng.random() < 0.3:
            addresses.append(
                {
                    "kind": "invoice",
                    "street": f"Postbus {rng.randint(1, 9999)}",
                    "postal_code": postal_code,
                    "city": city,
                    "country": country,
                    "is_primary": False,
                }
            )
        fields: dict[str, Any] = {
            "roles": roles,
            "tags": tags,
            "contact_points": contact_points,
            "addresses": addresses,
            "country": country,
            "language": language,
            "vat_number": self.vat_number(country),
        }
        if country == "NL":
            fields["coc_number"] = self.coc_number()
        spec = PartySpec(name=name, kind="organisation", fields=fields, region=region)
        for _person in range(rng.choice([0, 1, 1, 2])):
            spec.persons.append(self.contact_person(spec, domain))
        return spec

    def contact_person(self, organisation: PartySpec, domain: str) -> PartySpec:
        rng = self.rng
        first, name = self.person_name()
        local = f"{_slug(first)}.{_slug(_surname(name))}"
        info = FOREIGN.get(organisation.fields["country"], {"dial": "31", "mobile": "6"})
        fields = {
            "roles": ["contact"],
            "job_title": rng.choice(JOB_TITLES),
            "country": organisation.fields["country"],
            "language": organisation.fields["language"],
            "contact_points": [
                {"kind": "email", "value": self._email(local, domain), "label": "", "is_primary": True},
                {
                    "kind": "mobile",
                    "value": f"+{info['dial']} {info['mobile']} {rng.randint(10_000_000, 99_999_999)}",
                    "label": "",
                    "is_primary": True,
                },
            ],
        }
        return PartySpec(
            name=name,
            kind="person",
            fields=fields,
            region=organisation.region,
            organisation_name=organisation.name,
        )

    def consumer(self) -> PartySpec:
        rng = self.rng
        first, name = self.person_name()
        city, low, high, _area, region = rng.choice(NL_CITIES)
        fields = {
            "roles": ["customer"],
            "country": "NL",
            "language": "nl",
            "tags": ["particulier"],
            "contact_points": [
                {
                    "kind": "email",
                    "value": self._email(f"{_slug(first)}.{_slug(_surname(name))}", "mail.example"),
                    "label": "",
                    "is_primary": True,
                }
            ],
            "addresses": [
                {
                    "kind": "home",
                    "street": f"{rng.choice(NL_STREETS)} {rng.randint(1, 250)}",
                    "postal_code": self.nl_postal_code(low, high),
                    "city": city,
                    "country": "NL",
                    "is_primary": True,
                }
            ],
        }
        return PartySpec(name=name, kind="person", fields=fields, region=region)

    def parties(self, count: int) -> Iterator[PartySpec]:
        """`count` parties: organisations each followed by their contact persons, and consumers."""
        produced = 0
        while produced < count:
            if self.rng.random() < 0.1:
                yield self.consumer()
                produced += 1
                continue
            organisation = self.organisation()
            persons, organisation.persons = organisation.persons, []
            for spec in [organisation, *persons][: count - produced]:
                yield spec
                produced += 1


def _demo_arguments(parser: Any) -> None:
    parser.add_argument(
        "--parties",
        type=int,
        default=DEMO_PARTIES,
        metavar="N",
        help=_("How many demo parties to load (default %d).") % DEMO_PARTIES,
    )


@demo.register("parties", order=10, arguments=_demo_arguments)
def demo_load(
    company: Company,
    users: Mapping[str, User],
    rng: random.Random,
    progress: demo.Progress,
    options: Mapping[str, Any],
) -> None:
    """Parties of the demo company, created through the services as a person would.
    Existing parties (same name) are kept, so a re-run creates nothing twice."""
    count = int(options.get("parties") or DEMO_PARTIES)
    specs = list(PartyGenerator(rng).parties(count))
    # Drawn before anything is created, so they do not depend on what exists already.
    archived = {specs[i].name for i in rng.sample(range(len(specs)), k=min(5, len(specs) // 20))}
    teams = dict(Team.objects.filter(company=company).values_list("name", "pk"))
    admin, sales = users["admin"], users["sales"]
    existing = dict(selectors.parties_visible(admin).values_list("name", "pk"))
    advance = progress(_("Parties"), len(specs) + 1)
    for spec in specs:
        if spec.name not in existing:
            fields = dict(spec.fields)
            if spec.organisation_name:
                fields["organisation"] = existing[spec.organisation_name]
            if "supplier" in fields["roles"] and "customer" not in fields["roles"]:
                fields.update(team=teams.get("Operations"), owner=users["operations"].pk)
            elif spec.region == "north":
                fields.update(team=teams.get("Sales North"), owner=sales.pk)
            else:
                fields.update(team=teams.get("Sales South"), owner=None)
            existing[spec.name] = party_create(actor=admin, kind=spec.kind, name=spec.name, **fields).pk
        advance(1)
    for name in sorted(archived):
        party = Party.objects.get(pk=existing[name])
        if not party.is_archived:
            party_archive(actor=admin, party_id=party.pk, version=party.version, is_archived=True)
    _merged_pair_load(admin, specs, existing)
    advance(1)


def _merged_pair_load(admin: User, specs: list[PartySpec], existing: dict[str, int]) -> None:
    """The first Dutch organisation was entered twice, as '<name> (Amsterdam office)'
    with another e-mail address; the duplicate is merged into the original."""
    original = next(
        s
        for s in specs
        if s.kind == "organisation" and s.fields["country"] == "NL" and not s.name.endswith(" 2")
    )
    duplicate_name = re.sub(
        r"( B\.V\.| V\.O\.F\.| Holding B\.V\.)$", "", original.name
    )  # same normalised name
    if duplicate_name == original.name:
        duplicate_name = f"{original.name} B.V."
    target_id = existing[original.name]
    duplicate = Party.objects.filter(pk=existing.get(duplicate_name, 0)).first()
    if duplicate is None:
        domain = original.fields["contact_points"][0]["value"].split("@")[1]
        duplicate = party_create(
            actor=admin,
            kind="organisation",
            name=duplicate_name,
            roles=["customer"],
            country="NL",
            contact_points=[{"kind": "email", "value": f"orders@{domain}", "is_primary": True}],
            confirmed_duplicate_ids=[target_id],
            owner=None,
        )
    if duplicate.merged_into_id is None:
        party_merge(actor=admin, source_id=duplicate.pk, target_id=target_id)
