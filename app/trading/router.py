"""HTTP routes of trading."""

from fastapi import APIRouter

router = APIRouter()
