"""The public data sets the slow tests read: ``../shared/data`` beside the checkout, or ``WEAKTIE_SHARED_DATA``.

Without them a test skips locally; in CI a skip is a failure (``tests/conftest.py``), so they always run there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("WEAKTIE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def needs(path: Path) -> pytest.MarkDecorator:
    """Skip (fail, in CI) the test when the shared data set at ``path`` is not on this machine."""
    return pytest.mark.skipif(not path.exists(), reason=f"shared data set {path} is not on this machine")
