from django.contrib import admin

from config.admin_mixins import CoordinatorAdmin

from .models import Article, Framework, Part, Pillar


class PartInline(admin.TabularInline):
    model = Part
    extra = 0


@admin.register(Framework)
class FrameworkAdmin(CoordinatorAdmin):
    list_display = ["code", "title_en", "adopted_on", "is_primary"]
    search_fields = ["code", "title_en", "title_zh_hans"]
    inlines = [PartInline]


@admin.register(Pillar)
class PillarAdmin(CoordinatorAdmin):
    list_display = ["framework", "number", "title_en", "title_zh_hans", "part"]
    list_filter = ["framework"]


@admin.register(Article)
class ArticleAdmin(CoordinatorAdmin):
    list_display = ["framework", "number", "pillar", "part"]
    list_filter = ["framework", "pillar"]
    list_select_related = ["framework", "pillar", "part"]
    search_fields = ["text_en", "text_zh_hans", "framework__code"]
