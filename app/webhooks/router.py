"""HTTP routes of webhooks."""

from fastapi import APIRouter

router = APIRouter()
