"""API routes of core (mounted by edubase.api)."""

from ninja import Router

router = Router()
