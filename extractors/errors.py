"""Errors raised by the extractors: bad input directories, unusable models or taxonomy files."""

from __future__ import annotations

from graph.errors import WeaktieError


class ExtractorError(WeaktieError):
    """Extraction could not run: a model, a taxonomy file or an option was unusable."""


class InputError(ExtractorError):
    """The input directory or one of its files cannot be read at all (single bad records become rejects)."""
