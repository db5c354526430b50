"""API routes of accounts (mounted by edubase.api)."""

from ninja import Router

router = Router()
