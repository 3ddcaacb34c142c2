"""Endpoints for what people and admins control: feedback, topic corrections, preferences, export and forget."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
