"""Fixtures of the parties tests; the API ones live in core's api_support (shared by apps)."""

from kantoor.core.tests.api_support import anonymous_api, api_as

__all__ = ["anonymous_api", "api_as"]
