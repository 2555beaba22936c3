"""The `kantoor` command: Django's management commands with Kantoor's settings."""

import os
import sys


def _database_url_option(argv: list[str]) -> list[str]:
    """`--database-url URL` (any command) sets KANTOOR_DATABASE_URL before the settings are
    read: `kantoor bench o2c --database-url postgres://…` runs on that server."""
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--database-url":
            os.environ["KANTOOR_DATABASE_URL"] = next(args, "")
        elif arg.startswith("--database-url="):
            os.environ["KANTOOR_DATABASE_URL"] = arg.partition("=")[2]
        else:
            rest.append(arg)
    return rest


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kantoor.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], *_database_url_option(sys.argv[1:])])


if __name__ == "__main__":
    main()
