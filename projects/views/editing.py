"""Placeholder until this area is built; declares its URL patterns."""

urlpatterns = []
