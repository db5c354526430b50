"""Console URLs (namespace ``console``); every page but sign-in needs a signed-in user."""

from django.urls import path

from edubase.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("orgs/", views.org_tree, name="org_tree"),
    path("orgs/<int:pk>/children/", views.org_children, name="org_children"),
    path("schools/", views.school_list, name="school_list"),
    path("schools/export.xlsx", views.school_export, name="school_export"),
    path("schools/<int:pk>/", views.school_detail, name="school_detail"),
    path("people/", views.person_search, name="person_search"),
    path("people/<uuid:pk>/", views.person_detail, name="person_detail"),
    path("people/<uuid:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/assign/", views.user_assign, name="user_assign"),
    path("users/<int:pk>/assignments/<int:assignment_pk>/revoke/", views.user_revoke, name="user_revoke"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("roles/", views.role_list, name="role_list"),
    path("audit/", views.audit_log, name="audit_log"),
]
