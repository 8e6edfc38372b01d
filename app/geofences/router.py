"""HTTP routes of geofences."""

from fastapi import APIRouter

router = APIRouter()
