"""Every user-visible string has its Dutch translation: no message of the Dutch catalogue
is empty or a fuzzy guess (`make messages` extracts new strings; translate them there)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

import kantoor

CATALOGUE = Path(kantoor.__file__).parent / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_dutch_translation() -> None:
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert untranslated == []
