"""`/api/v1/projects/`: the library's projects for partner systems.

Reads are scoped by `Project.objects.visible_to(user)`: another party's draft is 404, never 403.
Every write goes through the project services, after an If-Match check that is repeated
under the row lock; the lead party always comes from the caller, never from the payload.
"""

from datetime import UTC

import django_filters
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from projects.choices import ProjectStatus
from projects.filters import ProjectFilter
from projects.models import Participation, Project
from projects.services import project_create, project_transition, project_update
from registry.api.permissions import KeyScopeAllowsMethod
from registry.models import Party

from . import read_path
from .etags import check_if_match, etag_for
from .nested import NestedResourcesMixin
from .pagination import ProjectCursorPagination
from .schema import IF_MATCH, REFUSED, refusals
from .serializers import (
    ProjectDetailSerializer,
    ProjectListSerializer,
    ProjectWriteSerializer,
    TransitionInputSerializer,
    attach_related,
)


class ProjectApiFilter(ProjectFilter):
    """The library's filters, plus every status (within the caller's scope) and `updated_since`."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProjectStatus.choices)
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Changed at or after (ISO 8601 date and time)"),
        method="filter_updated_since",
    )
    sort = None  # the API orders with `ordering` and pages with a cursor

    def filter_updated_since(self, queryset, name, value):
        # In UTC: PostgreSQL refuses offsets past ±15:59 that ISO 8601 (and Python) allow.
        try:
            since = value.astimezone(UTC)
        except OverflowError:  # before year 1 or after 9999 once in UTC
            return queryset if value.year == 1 else queryset.none()
        return queryset.filter(updated_at__gte=since)

    def _structure(self):
        """The pillar and article choices cost two queries: only load them when they are asked for."""
        if not (self.data.get("pillar") or self.data.get("article")):
            return None, []
        return super()._structure()


def _deny_other_lead_party(user, code, current=None):
    """A payload may name the lead party only to repeat it: it never moves a project to another party."""
    if not code:
        return None
    party = Party.objects.filter(code__iexact=code.strip()).first()
    if current is not None:
        if party is None or party.pk != current.lead_party_id:
            raise PermissionDenied(_("The lead party of a project cannot be changed."))
        return None
    if user.is_coordinator or user.is_superuser:
        if party is None:
            raise PermissionDenied(_("There is no party with this code."))
        return party
    if party is None or party.pk != user.party_id:
        raise PermissionDenied(_("You can only create projects led by your own party."))
    return None


@extend_schema_view(
    list=extend_schema(summary="List projects", description="Projects the caller may see, newest change first."),
    retrieve=extend_schema(summary="Retrieve a project", responses={200: ProjectDetailSerializer, 404: REFUSED[404]}),
)
class ProjectViewSet(NestedResourcesMixin, viewsets.GenericViewSet):
    """Cooperation projects: read within the caller's scope, write through the library's own rules."""

    queryset = Project.objects.none()
    serializer_class = ProjectListSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, KeyScopeAllowsMethod]
    pagination_class = ProjectCursorPagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ProjectApiFilter
    ordering_fields = ["updated_at", "created_at", "id"]
    ordering = ("-updated_at", "-id")

    def get_queryset(self):
        return (
            Project.objects.visible_to(self.request.user)
            .select_related("lead_party", "lead_organization")
            .with_reporting()
        )

    def _visible(self, pk, *, related=True, participations=False) -> Project:
        """The project (404 when the caller may not see it); with `related`, everything its
        representation needs; otherwise only its participations, when asked for."""
        project = self.get_queryset().filter(pk=pk).first() if str(pk).isdigit() else None
        if project is None:
            raise Http404
        if not related:
            if participations:
                rows = Participation.objects.select_related("party").order_by("-role", "pk")
                prefetch_related_objects([project], Prefetch("participations", queryset=rows))
            return project
        return attach_related([project])[0]

    def _detail(self, project_pk, status_code=status.HTTP_200_OK) -> Response:
        project = self._visible(project_pk)
        data = ProjectDetailSerializer(project, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag_for(project)})

    def list(self, request):
        """The purpose-built read path (`read_path.py`): the JSON of `ProjectListSerializer`
        from one query (relations folded into JSON arrays by subqueries), rendered by orjson."""
        queryset = self.filter_queryset(read_path.visible_projects(request.user))
        rows = self.paginate_queryset(read_path.page_rows(queryset))
        body = {
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "results": read_path.represent(rows, request.user),
        }
        return read_path.json_response(body)

    def retrieve(self, request, pk=None):
        response = self._detail(pk)
        if response["ETag"] in (request.headers.get("If-None-Match") or "").replace(" ", "").split(","):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": response["ETag"]})
        return response

    @extend_schema(
        summary="Create a draft",
        request=ProjectWriteSerializer,
        responses={201: ProjectDetailSerializer, **refusals(404, 412, 428)},
    )
    def create(self, request):
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead_party = _deny_other_lead_party(request.user, serializer.validated_data.get("lead_party"))
        project = project_create(actor=request.user, lead_party=lead_party, **serializer.service_arguments())
        response = self._detail(project.pk, status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{request.path}{project.pk}/")
        return response

    def _write(self, request, pk, *, permission, partial):
        project = self._visible(pk)
        if not request.user.has_perm(permission, project):
            raise PermissionDenied
        check_if_match(request, project)
        serializer = ProjectWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        _deny_other_lead_party(request.user, serializer.validated_data.get("lead_party"), current=project)
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            check_if_match(request, locked)
            arguments = serializer.service_arguments(replace=not partial)
            project_update(project=locked, actor=request.user, **arguments)
        return self._detail(project.pk)

    @extend_schema(
        summary="Replace a project's content",
        description=(
            "A full replacement: only `language` and `title` are required, and every field left out is "
            "reset to its default (empty text and lists, null dates and budget, no article tags, themes "
            "or SDGs, a restricted contact). Use PATCH to change some fields and keep the others."
        ),
        request=ProjectWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: ProjectDetailSerializer, **REFUSED},
    )
    def update(self, request, pk=None):
        return self._write(request, pk, permission="projects.change_project", partial=False)

    @extend_schema(
        summary="Change some fields of a project",
        description="Fields left out keep their value; a list sent replaces the stored list.",
        request=ProjectWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: ProjectDetailSerializer, **REFUSED},
    )
    def partial_update(self, request, pk=None):
        return self._write(request, pk, permission="projects.change_project", partial=True)

    @extend_schema(
        summary="Withdraw a project",
        description="Deleting withdraws: the project stays in the library as withdrawn.",
        parameters=[IF_MATCH],
        responses={204: None, **REFUSED},
    )
    def destroy(self, request, pk=None):
        project = self._visible(pk)
        if not request.user.has_perm("projects.withdraw_project", project):
            raise PermissionDenied
        check_if_match(request, project)
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            check_if_match(request, locked)
            locked = project_transition(project=locked, actor=request.user, action="withdraw")
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"ETag": etag_for(locked)})

    @extend_schema(
        summary="Move a project along its lifecycle",
        request=TransitionInputSerializer,
        parameters=[IF_MATCH],
        responses={200: ProjectDetailSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        project = self._visible(pk)
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check_if_match(request, project)
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            check_if_match(request, locked)
            project_transition(project=locked, actor=request.user, **serializer.validated_data)
        return self._detail(project.pk)
