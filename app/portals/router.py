"""HTTP routes of portals."""

from fastapi import APIRouter

router = APIRouter()
