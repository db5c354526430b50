"""JSON API router (mounted by edubase.api)."""

from ninja import Router

router = Router()
