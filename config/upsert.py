"""Idempotent writes for loaders: save a row only when something actually differs.

`update_or_create` always saves, which would add a history row on every run; loaders
use `upsert` so that running them twice changes nothing at all.
"""

from django.db import models


def upsert(model: type[models.Model], *, lookup: dict, values: dict) -> tuple[models.Model, str]:
    """Create or update one row; returns it with "created", "updated" or "unchanged"."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if _current(instance, name) != _comparable(value)]
    if not changed:
        return instance, "unchanged"
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=[_column(instance, name) for name in changed])
    return instance, "updated"


def _comparable(value):
    return value.pk if isinstance(value, models.Model) else value


def _current(instance, name):
    field = instance._meta.get_field(name)
    if field.is_relation:
        return getattr(instance, field.attname)
    return getattr(instance, name)


def _column(instance, name):
    return instance._meta.get_field(name).name
