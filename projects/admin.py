from django.contrib import admin

from config.admin_mixins import CoordinatorAdmin, ReadOnlyCoordinatorAdmin

from .models import ExchangeRate, Participation, Project, ProjectArticle, Sdg, Theme, Transition


class ProjectArticleInline(admin.TabularInline):
    model = ProjectArticle
    extra = 0
    autocomplete_fields = ["article"]


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    fields = ["party", "role", "status", "lead_accepted_at", "party_confirmed_at"]
    readonly_fields = fields


@admin.register(Project)
class ProjectAdmin(CoordinatorAdmin):
    list_display = ["reference_code", "title_en", "title_zh_hans", "lead_party", "status", "updated_at"]
    list_filter = ["status", "cooperation_mode", "project_type", "early_harvest"]
    search_fields = ["reference_code", "title_en", "title_zh_hans"]
    list_select_related = ["lead_party"]
    readonly_fields = ["status", "reference_code", "submitted_at", "published_at"]
    inlines = [ProjectArticleInline, ParticipationInline]


@admin.register(Theme)
class ThemeAdmin(CoordinatorAdmin):
    search_fields = ["name"]


@admin.register(Sdg)
class SdgAdmin(CoordinatorAdmin):
    list_display = ["number", "title_en", "title_zh_hans"]


@admin.register(Transition)
class TransitionAdmin(ReadOnlyCoordinatorAdmin):
    list_display = ["project", "from_status", "to_status", "actor", "at"]
    list_filter = ["to_status"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(CoordinatorAdmin):
    """The dated rates the dashboard converts budgets with (coordinators keep them)."""

    list_display = ["currency", "valid_on", "rate", "source"]
    list_filter = ["currency"]
    search_fields = ["currency", "source"]
    date_hierarchy = "valid_on"
    ordering = ["currency", "-valid_on"]
