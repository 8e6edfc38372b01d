"""HTTP routes of spaces."""

from fastapi import APIRouter

router = APIRouter()
