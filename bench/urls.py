"""The site's URLs plus two benchmark-only endpoints (config/settings/bench.py):

- `bench/floor/`: the floor. The same page as `GET /api/v1/projects/?page_size=100` for one
  party's partner system (visible projects, newest change first, with their article tags,
  participants, themes and SDGs) from ONE raw SQL query with JSON aggregation, rendered by
  orjson: no authentication, no framework, no disclosure rules. Nothing real can be faster.
- `bench/serializer/projects/`: the list as it was before the read path (the generic
  `ProjectListSerializer` over model instances, same three queries), for comparison.
"""

import orjson
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns
from projects.api.serializers import ProjectListSerializer, attach_related
from projects.api.views import ProjectViewSet

FLOOR_SQL = """
SELECT p.id, p.reference_code, p.status, p.language, p.title_zh_hans, p.title_en, p.summary_zh_hans,
       p.summary_en, lp.code AS lead_party, p.cooperation_mode, p.project_type, p.beneficiary_groups,
       p.early_harvest, p.countries, p.places, p.start_on, p.end_on, p.budget_amount, p.budget_currency,
       (SELECT coalesce(json_agg(json_build_object('framework', f.code, 'number', a.number,
                                                   'primary', pa.is_primary, 'note', pa.note)
                                 ORDER BY pa.is_primary DESC, a.number), '[]')
          FROM projects_projectarticle pa
          JOIN framework_article a ON a.id = pa.article_id
          JOIN framework_framework f ON f.id = a.framework_id
         WHERE pa.project_id = p.id) AS articles,
       (SELECT coalesce(json_agg(json_build_object('party', pp.code, 'role', pt.role, 'status', pt.status)
                                 ORDER BY pt.role DESC, pt.id), '[]')
          FROM projects_participation pt JOIN registry_party pp ON pp.id = pt.party_id
         WHERE pt.project_id = p.id AND (pt.status = 'active' OR p.lead_party_id = %(party)s)) AS participations,
       (SELECT coalesce(json_agg(t.name ORDER BY lower(t.name)), '[]')
          FROM projects_project_themes pt JOIN projects_theme t ON t.id = pt.theme_id
         WHERE pt.project_id = p.id) AS themes,
       (SELECT coalesce(json_agg(ps.sdg_id ORDER BY ps.sdg_id), '[]')
          FROM projects_project_sdgs ps WHERE ps.project_id = p.id) AS sdgs,
       p.created_at, p.updated_at
  FROM projects_project p JOIN registry_party lp ON lp.id = p.lead_party_id
 WHERE p.status IN ('published', 'ongoing', 'completed')
    OR p.lead_party_id = %(party)s
    OR EXISTS (SELECT 1 FROM projects_participation v
                WHERE v.project_id = p.id AND v.party_id = %(party)s AND v.status IN ('active', 'invited'))
 ORDER BY p.updated_at DESC, p.id DESC
 LIMIT %(limit)s
"""


def floor(request):
    party = int(request.GET.get("party", 0))
    limit = min(int(request.GET.get("page_size", 100)), 500)
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"party": party, "limit": limit})
        names = [column.name for column in cursor.description]
        results = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    body = orjson.dumps({"next": None, "previous": None, "results": results}, default=str)
    return HttpResponse(body, content_type="application/json")


class SerializerList(ProjectViewSet):
    """The list as it was: model instances, `attach_related`, `ProjectListSerializer`."""

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        attach_related(page)
        data = ProjectListSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/serializer/projects/", SerializerList.as_view({"get": "list"}), name="bench-serializer"),
    *site_urlpatterns,
]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
