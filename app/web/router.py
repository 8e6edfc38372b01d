"""HTTP routes of web."""

from fastapi import APIRouter

router = APIRouter()
