"""API routes of orgs (mounted by edubase.api)."""

from ninja import Router

router = Router()
