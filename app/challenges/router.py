"""HTTP routes of challenges."""

from fastapi import APIRouter

router = APIRouter()
