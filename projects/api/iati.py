from django.http import HttpResponse
from django.views.decorators.http import require_GET

from projects.iati import activities_document, activities_queryset


@require_GET
def iati_activities(request):
    """`GET /api/v1/iati/activities.xml`: published projects as IATI 2.03 activities."""
    document = activities_document(
        activities_queryset(), article_url=lambda article: request.build_absolute_uri(article.get_absolute_url())
    )
    return HttpResponse(document, content_type="application/xml; charset=utf-8")
