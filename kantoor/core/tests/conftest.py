"""Fixtures of the core tests; the API ones live in api_support (shared with other apps)."""

from kantoor.core.tests.api_support import anonymous_api, api_as

__all__ = ["anonymous_api", "api_as"]
