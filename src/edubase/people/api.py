"""API routes of people (mounted by edubase.api)."""

from ninja import Router

router = Router()
