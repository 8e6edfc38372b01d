"""HTTP routes of realtime."""

from fastapi import APIRouter

router = APIRouter()
