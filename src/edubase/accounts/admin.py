"""Django admin for superusers (emergency repair). Day-to-day account work goes through the
console and the API, which call the audited services; token digests are never editable here."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from edubase.accounts.models import ApiToken, LoginFailure, Role, RoleAssignment, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "person", "is_active", "is_superuser", "locked_until")
    search_fields = ("username", "display_name")
    raw_id_fields = ("person",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("edubase", {"fields": ("display_name", "person", "locked_until", "must_change_password")}),
    )


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "builtin")
    search_fields = ("code", "name")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "org", "created_at")
    list_select_related = ("user", "role", "org")
    raw_id_fields = ("user", "org")
    search_fields = ("user__username", "org__name", "org__code")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    exclude = ("digest",)
    readonly_fields = ("user", "prefix", "permissions", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by the service, which shows the value once


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip", "at")
    search_fields = ("username",)
    readonly_fields = ("username", "ip", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
