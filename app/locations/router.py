"""HTTP routes of locations."""

from fastapi import APIRouter

router = APIRouter()
