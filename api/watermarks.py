"""Per-source watermarks: the newest message time imported from each source, kept in ``<data_dir>/watermarks.json``.

The file is written atomically (a temporary file renamed over the old one) and only after the store accepted the
import, so a failed import never moves a watermark. It is advisory: posts are matched to the store by id as well,
so a lost, stale or shared watermark file can neither drop nor double a message.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from api.errors import ConfigurationError

FILE_NAME = "watermarks.json"


def read_watermarks(data_dir: Path) -> dict[str, datetime]:
    """Source key → newest ``created_at`` imported; empty when the file does not exist yet."""
    path = Path(data_dir) / FILE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"the watermark file {str(path)!r} is unreadable ({exc}); delete it and re-run the import "
            "(already imported messages are recognised by id and skipped)"
        ) from None
    found: dict[str, datetime] = {}
    for key, value in raw.items() if isinstance(raw, dict) else ():
        try:
            found[str(key)] = datetime.fromisoformat(value["newest"])
        except (TypeError, KeyError, ValueError):
            continue  # one damaged entry only costs that source its watermark
    return found


def write_watermarks(data_dir: Path, watermarks: Mapping[str, datetime]) -> Path:
    """Replace the watermark file with ``watermarks`` in one rename; returns its path."""
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    payload = {key: {"newest": value.isoformat()} for key, value in sorted(watermarks.items())}
    handle, temporary = tempfile.mkstemp(prefix=".watermarks-", suffix=".json", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
