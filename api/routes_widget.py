"""The intranet widget (``/widget.js``) and the demo intranet page (``/demo``): open, no token needed to load."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
