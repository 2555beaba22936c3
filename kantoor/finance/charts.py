"""Chart-of-accounts templates installed by `chart_install`: a generic small-business chart
and a Dutch one modelled on the public Referentie GrootboekSchema (RGS).

Each account is (code, name, type, role, reference code, reconcilable); each journal is
(code, name, kind, role of its default account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class AccountSpec(NamedTuple):
    code: str
    name: str
    account_type: str
    role: str = ""
    reference_code: str = ""
    is_reconcilable: bool = False


class JournalSpec(NamedTuple):
    code: str
    name: str
    kind: str
    default_role: str = ""


class TaxSpec(NamedTuple):
    """A tax of the template: the accounts by role; the VAT-return boxes (see vat.py) of its
    base, its tax and, for reverse charge, the self-assessed tax."""

    code: str
    name: str
    name_nl: str
    scope: str
    treatment: str
    rate: str
    account_role: str = ""
    reverse_role: str = ""
    base_tag: str = ""
    tax_tag: str = ""
    reverse_tag: str = ""


class TermSpec(NamedTuple):
    """A payment term: its name and instalments as (percent, days, end of month)."""

    name: str
    name_nl: str
    instalments: tuple[tuple[str, int, bool], ...]


S, P = "sale", "purchase"
_PAY, _REC = "vat_payable", "vat_receivable"

# Dutch VAT (omzetbelasting) as a Dutch business charges and deducts it; the boxes are those
# of the Dutch VAT return. Reverse charge (verlegd, EU acquisitions, imported services) books
# the tax both as payable (reported in 2a / 4a / 4b) and as deductible (5b).
DUTCH_TAXES = (
    TaxSpec("V21", "VAT 21%", "Btw 21%", S, "standard", "21", _PAY, "", "1a-base", "1a-tax"),
    TaxSpec("V9", "VAT 9%", "Btw 9%", S, "reduced", "9", _PAY, "", "1b-base", "1b-tax"),
    TaxSpec("V0", "VAT 0%", "Btw 0%", S, "zero", "0", "", "", "1e-base"),
    TaxSpec("VVRIJ", "VAT exempt", "Vrijgesteld van btw", S, "exempt", "0"),
    TaxSpec(
        "VVERL", "VAT reverse charged", "Btw verlegd", S, "domestic_reverse_charge", "0", "", "", "1e-base"
    ),
    TaxSpec(
        "VEUG", "Intra-EU supply of goods", "Levering binnen de EU", S, "eu_goods", "0", "", "", "3b-base"
    ),
    TaxSpec("VEUD", "Intra-EU services", "Diensten binnen de EU", S, "eu_services", "0", "", "", "3b-base"),
    TaxSpec("VEXP", "Export outside the EU", "Uitvoer buiten de EU", S, "export", "0", "", "", "3a-base"),
    TaxSpec("I21", "Input VAT 21%", "Voorbelasting 21%", P, "standard", "21", _REC, "", "", "5b-tax"),
    TaxSpec("I9", "Input VAT 9%", "Voorbelasting 9%", P, "reduced", "9", _REC, "", "", "5b-tax"),
    TaxSpec("I0", "Purchase 0% / exempt", "Inkoop 0% / vrijgesteld", P, "zero", "0"),
    TaxSpec(
        "IVERL",
        "Reverse charge 21%",
        "Verlegde btw 21%",
        P,
        "domestic_reverse_charge",
        "21",
        _REC,
        _PAY,
        "2a-base",
        "5b-tax",
        "2a-tax",
    ),
    TaxSpec(
        "IEUG",
        "EU acquisition of goods 21%",
        "Verwerving binnen de EU 21%",
        P,
        "eu_goods",
        "21",
        _REC,
        _PAY,
        "4b-base",
        "5b-tax",
        "4b-tax",
    ),
    TaxSpec(
        "IEUD",
        "EU services 21%",
        "Diensten uit de EU 21%",
        P,
        "eu_services",
        "21",
        _REC,
        _PAY,
        "4b-base",
        "5b-tax",
        "4b-tax",
    ),
    TaxSpec(
        "IIMP",
        "Services from outside the EU 21%",
        "Diensten van buiten de EU 21%",
        P,
        "import",
        "21",
        _REC,
        _PAY,
        "4a-base",
        "5b-tax",
        "4a-tax",
    ),
)

PAYMENT_TERMS = (
    TermSpec("Immediate", "Direct", (("100", 0, False),)),
    TermSpec("14 days", "14 dagen", (("100", 14, False),)),
    TermSpec("30 days", "30 dagen", (("100", 30, False),)),
    TermSpec("30 days end of month", "30 dagen einde maand", (("100", 30, True),)),
    TermSpec("50% now, 50% in 30 days", "50% direct, 50% na 30 dagen", (("50", 0, False), ("50", 30, False))),
)


@dataclass(frozen=True)
class ChartTemplate:
    key: str
    name: str
    accounts: tuple[AccountSpec, ...]
    journals: tuple[JournalSpec, ...]
    taxes: tuple[TaxSpec, ...] = DUTCH_TAXES
    terms: tuple[TermSpec, ...] = PAYMENT_TERMS
    language: str = "en"


A, L, EQ, I, X = "asset", "liability", "equity", "income", "expense"  # noqa: E741 - table shorthand

GENERIC = ChartTemplate(
    key="generic",
    name="Generic small business",
    accounts=(
        AccountSpec("1000", "Bank", A, "bank", is_reconcilable=True),
        AccountSpec("1010", "Cash", A, "cash", is_reconcilable=True),
        AccountSpec("1100", "Accounts receivable", A, "receivable", is_reconcilable=True),
        AccountSpec("1150", "Other receivables", A),
        AccountSpec("1200", "Inventory", A, "stock"),
        AccountSpec("1250", "Work in progress", A, "production"),
        AccountSpec("1300", "VAT receivable", A, "vat_receivable"),
        AccountSpec("1400", "Prepaid expenses", A),
        AccountSpec("1500", "Equipment", A, "fixed_asset"),
        AccountSpec("1510", "Accumulated depreciation", A),
        AccountSpec("1900", "Suspense", A, "suspense"),
        AccountSpec("2000", "Accounts payable", L, "payable", is_reconcilable=True),
        AccountSpec("2050", "Goods received not invoiced", L, "stock_received"),
        AccountSpec("2100", "VAT payable", L, "vat_payable"),
        AccountSpec("2110", "VAT settlement", L, "vat_settlement"),
        AccountSpec("2200", "Wages payable", L),
        AccountSpec("2300", "Accrued liabilities", L),
        AccountSpec("2500", "Loans", L),
        AccountSpec("3000", "Share capital", EQ, "share_capital"),
        AccountSpec("3100", "Retained earnings", EQ, "retained_earnings"),
        AccountSpec("3200", "Current year earnings", EQ, "current_year_earnings"),
        AccountSpec("4000", "Sales revenue", I, "revenue"),
        AccountSpec("4100", "Service revenue", I, "revenue"),
        AccountSpec("4900", "Other income", I),
        AccountSpec("5000", "Cost of goods sold", X, "cost_of_sales"),
        AccountSpec("5100", "Stock differences", X, "stock_difference"),
        AccountSpec("6000", "Wages and salaries", X, "wages"),
        AccountSpec("6100", "Rent", X, "expense"),
        AccountSpec("6200", "Utilities", X, "expense"),
        AccountSpec("6300", "Office expenses", X, "expense"),
        AccountSpec("6400", "Travel", X, "expense"),
        AccountSpec("6500", "Marketing", X, "expense"),
        AccountSpec("6600", "Depreciation", X, "depreciation"),
        AccountSpec("6700", "Bank charges", X, "expense"),
        AccountSpec("6800", "Exchange differences", X, "exchange_difference"),
        AccountSpec("6900", "Rounding differences", X, "rounding"),
    ),
    journals=(
        JournalSpec("SAL", "Sales", "sales", "revenue"),
        JournalSpec("PUR", "Purchases", "purchase", "expense"),
        JournalSpec("BNK", "Bank", "bank", "bank"),
        JournalSpec("CSH", "Cash", "cash", "cash"),
        JournalSpec("GEN", "General", "general", ""),
        JournalSpec("STK", "Stock valuation", "stock", ""),
    ),
)

# Codes follow the Dutch decimal system; reference codes are RGS reference codes (a practical
# subset of the public scheme — see DESIGN.md before using them for filings).
NL = ChartTemplate(
    key="nl",
    name="Nederland (RGS)",
    accounts=(
        AccountSpec("0100", "Goodwill", A, "fixed_asset", "BIvaGoo"),
        AccountSpec("0200", "Bedrijfsgebouwen", A, "fixed_asset", "BMvaBeg"),
        AccountSpec("0210", "Afschrijving bedrijfsgebouwen", A, "", "BMvaBegCae"),
        AccountSpec("0300", "Machines en installaties", A, "fixed_asset", "BMvaMei"),
        AccountSpec("0310", "Afschrijving machines en installaties", A, "", "BMvaMeiCae"),
        AccountSpec("0400", "Inventaris", A, "fixed_asset", "BMvaObe"),
        AccountSpec("0410", "Afschrijving inventaris", A, "", "BMvaObeCae"),
        AccountSpec("0500", "Transportmiddelen", A, "fixed_asset", "BMvaTvm"),
        AccountSpec("0510", "Afschrijving transportmiddelen", A, "", "BMvaTvmCae"),
        AccountSpec("0600", "Waarborgsommen", A, "", "BFvaOvv"),
        AccountSpec("0800", "Geplaatst kapitaal", EQ, "share_capital", "BEivGok"),
        AccountSpec("0810", "Agioreserve", EQ, "", "BEivAgi"),
        AccountSpec("0820", "Overige reserves", EQ, "retained_earnings", "BEivOre"),
        AccountSpec("0830", "Onverdeeld resultaat", EQ, "current_year_earnings", "BEivOnv"),
        AccountSpec("0900", "Langlopende leningen", L, "", "BLasSch"),
        AccountSpec("0910", "Lening directeur-grootaandeelhouder", L, "", "BLasSchLvb"),
        AccountSpec("1000", "Kas", A, "cash", "BLimKasKas", True),
        AccountSpec("1100", "Bank rekening-courant", A, "bank", "BLimBanRba", True),
        AccountSpec("1110", "Spaarrekening", A, "bank", "BLimBanDep", True),
        AccountSpec("1190", "Kruisposten", A, "suspense", "BLimKru", True),
        AccountSpec("1300", "Debiteuren", A, "receivable", "BVorDebHad", True),
        AccountSpec("1310", "Voorziening dubieuze debiteuren", A, "", "BVorDebVdd"),
        AccountSpec("1350", "Overige vorderingen", A, "", "BVorOvr"),
        AccountSpec("1360", "Vooruitbetaalde kosten", A, "", "BVorOvaVvk"),
        AccountSpec("1370", "Nog te ontvangen bedragen", A, "", "BVorOvaNob"),
        AccountSpec("1400", "Rekening-courant directie", A, "", "BVorVbkRcd"),
        AccountSpec("1500", "Te vorderen btw (voorbelasting)", A, "vat_receivable", "BSchBepBtwVoo"),
        AccountSpec("1510", "Af te dragen btw hoog tarief", L, "vat_payable", "BSchBepBtwAfh"),
        AccountSpec("1520", "Af te dragen btw laag tarief", L, "vat_payable", "BSchBepBtwAfl"),
        AccountSpec("1530", "Af te dragen btw verlegd", L, "vat_payable", "BSchBepBtwAfv"),
        AccountSpec("1540", "Btw afdracht (aangifte)", L, "vat_settlement", "BSchBepBtwAfr"),
        AccountSpec("1600", "Crediteuren", L, "payable", "BSchCreHac", True),
        AccountSpec("1610", "Nog te ontvangen facturen", L, "stock_received", "BSchOvsNof"),
        AccountSpec("1700", "Af te dragen loonheffing", L, "", "BSchBepLhe"),
        AccountSpec("1710", "Netto lonen", L, "", "BSchSalNet"),
        AccountSpec("1720", "Reservering vakantiegeld", L, "", "BSchSalVak"),
        AccountSpec("1750", "Te betalen vennootschapsbelasting", L, "", "BSchBepVpb"),
        AccountSpec("1800", "Nog te betalen kosten", L, "", "BSchOvsNtb"),
        AccountSpec("1810", "Vooruitontvangen bedragen", L, "", "BSchOvsVoo"),
        AccountSpec("1900", "Vraagposten", A, "suspense", "BLimKruVrp"),
        AccountSpec("3000", "Voorraad handelsgoederen", A, "stock", "BVrdHan"),
        AccountSpec("3100", "Voorraad grond- en hulpstoffen", A, "stock", "BVrdGrs"),
        AccountSpec("3200", "Onderhanden werk", A, "production", "BVrdOhw"),
        AccountSpec("4000", "Brutolonen en salarissen", X, "wages", "WPerLesLon"),
        AccountSpec("4010", "Vakantiegeld", X, "wages", "WPerLesVak"),
        AccountSpec("4020", "Sociale lasten", X, "wages", "WPerSocSoc"),
        AccountSpec("4030", "Pensioenlasten", X, "wages", "WPerPenPen"),
        AccountSpec("4050", "Overige personeelskosten", X, "expense", "WPerOvp"),
        AccountSpec("4100", "Huur bedrijfsruimte", X, "expense", "WBedHuiHur"),
        AccountSpec("4110", "Gas, water en elektra", X, "expense", "WBedHuiEnw"),
        AccountSpec("4120", "Onderhoud bedrijfsruimte", X, "expense", "WBedHuiOng"),
        AccountSpec("4200", "Brandstof auto's", X, "expense", "WBedAutBra"),
        AccountSpec("4210", "Onderhoud auto's", X, "expense", "WBedAutRoa"),
        AccountSpec("4220", "Leasekosten auto's", X, "expense", "WBedAutLea"),
        AccountSpec("4300", "Kantoorbenodigdheden", X, "expense", "WBedKanKan"),
        AccountSpec("4310", "Telefoon en internet", X, "expense", "WBedKanTel"),
        AccountSpec("4320", "Software en abonnementen", X, "expense", "WBedKanSof"),
        AccountSpec("4330", "Porti", X, "expense", "WBedKanPor"),
        AccountSpec("4400", "Reclame en advertenties", X, "expense", "WBedVkoRea"),
        AccountSpec("4410", "Representatiekosten", X, "expense", "WBedVkoRep"),
        AccountSpec("4420", "Reis- en verblijfkosten", X, "expense", "WBedVkoRev"),
        AccountSpec("4500", "Accountants- en advieskosten", X, "expense", "WBedAlkAea"),
        AccountSpec("4510", "Verzekeringen", X, "expense", "WBedAlkVez"),
        AccountSpec("4520", "Contributies en abonnementen", X, "expense", "WBedAlkCon"),
        AccountSpec("4600", "Afschrijving bedrijfsgebouwen", X, "depreciation", "WAfsMvaBeg"),
        AccountSpec("4610", "Afschrijving machines en installaties", X, "depreciation", "WAfsMvaMei"),
        AccountSpec("4620", "Afschrijving inventaris", X, "depreciation", "WAfsMvaObe"),
        AccountSpec("4630", "Afschrijving transportmiddelen", X, "depreciation", "WAfsMvaTvm"),
        AccountSpec("4700", "Rentelasten", X, "expense", "WFbeRlmRlm"),
        AccountSpec("4710", "Bankkosten", X, "expense", "WFbeRlmBan"),
        AccountSpec("4720", "Koersverschillen", X, "exchange_difference", "WFbeKoe"),
        AccountSpec("4790", "Betalingsverschillen en afrondingen", X, "rounding", "WBedAlkBet"),
        AccountSpec("7000", "Inkoopwaarde handelsgoederen", X, "cost_of_sales", "WKprInkKpr"),
        AccountSpec("7010", "Inkoopkosten", X, "cost_of_sales", "WKprInkInk"),
        AccountSpec("7100", "Voorraadverschillen", X, "stock_difference", "WKprVrv"),
        AccountSpec("8000", "Omzet hoog tarief", I, "revenue", "WOmzNopOlh"),
        AccountSpec("8010", "Omzet laag tarief", I, "revenue", "WOmzNopOll"),
        AccountSpec("8020", "Omzet nultarief en vrijgesteld", I, "revenue", "WOmzNopOln"),
        AccountSpec("8030", "Omzet verlegd binnenland", I, "revenue", "WOmzNopOlv"),
        AccountSpec("8040", "Omzet leveringen binnen de EU", I, "revenue", "WOmzNopOle"),
        AccountSpec("8050", "Omzet diensten binnen de EU", I, "revenue", "WOmzNopOld"),
        AccountSpec("8060", "Omzet export buiten de EU", I, "revenue", "WOmzNopOlb"),
        AccountSpec("8100", "Gegeven kortingen", I, "revenue", "WOmzKor"),
        AccountSpec("8500", "Rentebaten", I, "", "WFbeRbaRba"),
        AccountSpec("8600", "Overige opbrengsten", I, "", "WOvbOvb"),
        AccountSpec("9000", "Vennootschapsbelasting", X, "", "WBelBgrBgr"),
        AccountSpec("9990", "Buitengewone baten en lasten", X, "", "WBbaBba"),
    ),
    journals=(
        JournalSpec("VK", "Verkoopboek", "sales", "revenue"),
        JournalSpec("IK", "Inkoopboek", "purchase", "expense"),
        JournalSpec("BNK", "Bank", "bank", "bank"),
        JournalSpec("KAS", "Kas", "cash", "cash"),
        JournalSpec("MEM", "Memoriaal", "general", ""),
        JournalSpec("VRD", "Voorraadwaardering", "stock", ""),
    ),
    language="nl",
)

TEMPLATES = {template.key: template for template in (GENERIC, NL)}
