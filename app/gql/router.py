"""HTTP routes of gql."""

from fastapi import APIRouter

router = APIRouter()
