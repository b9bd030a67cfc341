"""Writes that bypass the project services still reach the feed.

The services call `change_record` explicitly (one change per service call, after its last
write). These receivers cover the rest: external ids (the importer and the demo loader write
them directly), deleting a project (admin), and the admin's project form, whose saves —
fields and inlines — are followed by a `LogEntry` in the same transaction. Renaming a theme
(admin) changes every project tagged with it. Not covered: renaming an organization or a
party's code (catalogue edits that partners should answer with a full sync)."""

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from projects.models import ExternalId, Project, Theme

from .services import change_record, change_record_many


@receiver(post_save, sender=ExternalId, dispatch_uid="feed-external-id-saved")
@receiver(post_delete, sender=ExternalId, dispatch_uid="feed-external-id-deleted")
def _external_id_changed(sender, instance, **kwargs):
    change_record(project_id=instance.project_id)


@receiver(post_delete, sender=Project, dispatch_uid="feed-project-deleted")
def _project_deleted(sender, instance, **kwargs):
    change_record(project_id=instance.pk)


@receiver(post_save, sender=LogEntry, dispatch_uid="feed-admin-project-saved")
def _admin_saved(sender, instance, created, **kwargs):
    if not created or instance.action_flag not in (ADDITION, CHANGE):
        return
    content_type = instance.content_type
    if content_type and (content_type.app_label, content_type.model) == ("projects", "project"):
        change_record(project_id=int(instance.object_id))


@receiver(post_save, sender=Theme, dispatch_uid="feed-theme-renamed")
def _theme_saved(sender, instance, created, **kwargs):
    if not created:
        tagged = Project.themes.through.objects.filter(theme_id=instance.pk).values_list("project_id", flat=True)
        change_record_many(project_ids=list(tagged))
