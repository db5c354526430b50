"""Shared mechanics with no business rules: errors, request ids, health, serving."""
