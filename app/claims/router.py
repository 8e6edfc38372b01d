"""HTTP routes of claims."""

from fastapi import APIRouter

router = APIRouter()
