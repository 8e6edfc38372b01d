"""HTTP routes of nfts."""

from fastapi import APIRouter

router = APIRouter()
