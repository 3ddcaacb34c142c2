"""Errors raised by the service layer; the API and CLI translate them at the edge like every WeaktieError."""

from __future__ import annotations

from graph.errors import WeaktieError


class ApiError(WeaktieError):
    """Root of the errors raised by :mod:`api`."""


class ConfigurationError(ApiError):
    """The settings ask for something this installation cannot do."""
