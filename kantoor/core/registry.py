"""Registries that let apps contribute to the shell without the shell importing them:
navigation entries, global-search providers, role dashboards' widgets, steps of
`kantoor init` and checks of `kantoor ledger verify`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

FRONT_OFFICE = "front"
BACK_OFFICE = "back"
INSIGHTS = "insights"
SETTINGS = "settings"


@dataclass(frozen=True)
class NavItem:
    section: str
    label: Any  # a lazy translation
    url_name: str
    permission: str
    order: int = 100
    icon: str = ""


@dataclass(frozen=True)
class SearchHit:
    kind: Any
    title: str
    subtitle: str
    url_name: str
    url_args: tuple[Any, ...] = field(default_factory=tuple)


SearchProvider = Callable[[Any, str, int], list[SearchHit]]


@dataclass(frozen=True)
class InitStep:
    """A step an app adds to `kantoor init`: `arguments(parser)` adds its options; `run(company,
    admin, options)` runs inside init's transaction after the company and its administrator
    are created, and returns a line to print."""

    name: str
    arguments: Callable[[Any], None]
    run: Callable[[Any, Any, Mapping[str, Any]], str]
    order: int = 100


navigation: list[NavItem] = []
init_steps: dict[str, InitStep] = {}
search_providers: dict[str, SearchProvider] = {}
# check(company_id) → the problems found (empty: all is well), e.g. inventory's "stock value =
# stock accounts"; run by `kantoor ledger verify`, which cannot import the apps above finance.
VerifyCheck = Callable[[int], list[str]]
verify_check_list: dict[str, VerifyCheck] = {}


def nav_register(item: NavItem) -> None:
    if item not in navigation:
        navigation.append(item)


def init_step_register(step: InitStep) -> None:
    init_steps[step.name] = step


def verify_check_register(name: str, check: VerifyCheck) -> None:
    verify_check_list[name] = check


def verify_checks() -> dict[str, VerifyCheck]:
    """The registered checks of `kantoor ledger verify`, by name."""
    return dict(sorted(verify_check_list.items()))


def search_register(key: str, provider: SearchProvider) -> None:
    search_providers[key] = provider


def kantoor_modules_import(module: str) -> None:
    """Import `module` (e.g. "demo", "bench") of every installed Kantoor app that has one,
    so that it registers itself — like Django's admin autodiscovery, but never touching
    third-party apps."""
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import module_has_submodule

    for app in apps.get_app_configs():
        if app.name.startswith("kantoor.") and module_has_submodule(app.module, module):
            import_module(f"{app.name}.{module}")
