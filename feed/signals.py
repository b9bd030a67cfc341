"""Writes that bypass the project services still reach the feed.

The services call `change_record` explicitly (one change per service call, after its last
write). These receivers cover the rest: external ids (the importer and the demo loader write
them directly), deleting a project (admin), and the admin's project form, whose saves —
fields and inlines — are followed by a `LogEntry` in the same transaction. Renaming a theme
(admin) changes every project tagged with it; so does any catalogue edit of a value projects
show (`SHOWN`: an article's number, pillar or framework, a pillar's number, a framework's code,
a party's code, an organization's name), for every project that shows it. That also brings
the dashboard's aggregate store and the export's kept cells up to date at their next refresh,
without a full rebuild."""

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from framework.models import Article, Framework, Pillar
from projects.models import ExternalId, Project, ProjectArticle, Theme
from registry.models import Organization, Party

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


# The fields of catalogue rows that projects show (in their representation, exports and the
# dashboard's figures), and the projects that show each row.
SHOWN = {
    Article: (("number", "pillar_id", "framework_id"), lambda row: ProjectArticle.objects.filter(article=row)),
    Pillar: (("number", "framework_id"), lambda row: ProjectArticle.objects.filter(article__pillar=row)),
    Framework: (("code", "is_primary"), lambda row: ProjectArticle.objects.filter(article__framework=row)),
    Party: (("code",), lambda row: Project.objects.filter(Q(lead_party=row) | Q(participations__party=row))),
    Organization: (("name_en", "name_zh_hans"), lambda row: Project.objects.filter(lead_organization=row)),
}


def _shown(sender, instance) -> tuple:
    return tuple(getattr(instance, name) for name in SHOWN[sender][0])


def _catalogue_saving(sender, instance, raw=False, **kwargs):
    """Remember what projects showed of the row before this save."""
    fields = SHOWN[sender][0]
    before = None if raw or instance.pk is None else sender.objects.filter(pk=instance.pk).values_list(*fields)
    instance._shown_before = before.first() if before is not None else None


def _catalogue_saved(sender, instance, created=False, raw=False, **kwargs):
    before = getattr(instance, "_shown_before", None)
    if raw or created or before is None or before == _shown(sender, instance):
        return  # a new row no project shows yet, or nothing they show changed
    projects = SHOWN[sender][1](instance)
    field = "id" if projects.model is Project else "project_id"
    change_record_many(project_ids=set(projects.values_list(field, flat=True)))


for _model in SHOWN:
    pre_save.connect(_catalogue_saving, sender=_model, dispatch_uid=f"feed-catalogue-saving-{_model._meta.label}")
    post_save.connect(_catalogue_saved, sender=_model, dispatch_uid=f"feed-catalogue-saved-{_model._meta.label}")
