"""The change log of projects. See the package docstring for why positions are given late."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedChange(models.Model):
    """One write that changed what some callers see of a project (no foreign key: outlives deletion)."""

    project_id = models.BigIntegerField(_("project id"), db_index=True)
    position = models.BigIntegerField(_("position"), null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)
    public = models.BooleanField(_("public before or after"), default=False)
    # ",3,17," — the parties that could see the project before or after the change; the
    # separators make `parties__contains=",3,"` exact on every database.
    parties = models.TextField(_("parties before or after"), blank=True, default="")

    class Meta:
        verbose_name = _("project change")
        verbose_name_plural = _("project changes")
        indexes = [
            models.Index(fields=["id"], condition=Q(position__isnull=True), name="feed_change_unpositioned"),
        ]

    def __str__(self):
        return f"project {self.project_id} @ {self.position}"


class FeedScope(models.Model):
    """Who can see a project now: the "before" of its next change."""

    project_id = models.BigIntegerField(_("project id"), primary_key=True)
    public = models.BooleanField(_("public"), default=False)
    parties = models.TextField(_("parties"), blank=True, default="")

    class Meta:
        verbose_name = _("project audience")
        verbose_name_plural = _("project audiences")

    def __str__(self):
        return f"project {self.project_id}: public={self.public} parties={self.parties}"


class FeedState(models.Model):
    """The single row (pk 1) whose lock serializes positioning and pruning."""

    last_position = models.BigIntegerField(_("last position given"), default=0)
    pruned_through = models.BigIntegerField(_("changes pruned up to this position"), default=0)

    class Meta:
        verbose_name = _("feed state")
        verbose_name_plural = _("feed state")

    def __str__(self):
        return f"head {self.last_position}, pruned through {self.pruned_through}"
