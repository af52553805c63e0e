"""Placeholder: the imports router is being written."""

from fastapi import APIRouter

router = APIRouter(tags=["imports"])
