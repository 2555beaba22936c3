"""Kantoor: one integrated system for a company's front office and back office."""

__version__ = "0.1.0"
