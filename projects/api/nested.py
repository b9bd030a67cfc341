"""A project's nested resources: participations, milestones, progress reports and documents.

Writes go through the same services as the web forms, in the same order of checks:
an invisible project is 404; a visible one the caller may not change is 403 (checked with the
same rule the service applies, so that a refusal does not depend on the If-Match header); then
the If-Match precondition, where the write changes the project's representation (participations,
and milestones and reports, which feed `reporting_health`), before any work and again under the
project's row lock. Documents are not part of the representation: they need no If-Match.
"""

from django.db import transaction
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from projects import selectors
from projects.choices import ParticipationStatus
from projects.models import Document, Milestone, Participation, ProgressReport, Project
from projects.services import (
    document_add,
    milestone_delete,
    milestone_save,
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    participation_withdraw,
    progress_report_add,
)
from projects.views.tracking import download_name

from .etags import check_if_match, etag_for
from .nested_serializers import (
    DecisionInputSerializer,
    DocumentInputSerializer,
    InviteInputSerializer,
    JoinInputSerializer,
    MilestoneInputSerializer,
    ProgressReportInputSerializer,
)
from .schema import IF_MATCH, REFUSED, refusals
from .serializers import (
    DocumentMetadataSerializer,
    MilestoneSerializer,
    ProgressReportSerializer,
    ProjectParticipationSerializer,
)

TRACKING = ("projects.track_project", "projects.change_project")
PARTY_CODE = r"(?P<party_code>[A-Za-z]{2,8})"


def _require(user, project, *permissions) -> None:
    if not any(user.has_perm(permission, project) for permission in permissions):
        raise PermissionDenied


def _parsed(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _guarded(request, project, write):
    """Run `write(locked_project)` once If-Match (checked by the caller before parsing) holds
    again under the project's row lock; return its result and the project's new ETag."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        check_if_match(request, locked)
        result = write(locked)
    return result, etag_for(Project(pk=project.pk))


def _participation_of(request, project, party_code) -> Participation:
    """The project's participation of one party; 404 unless the caller may see it
    (active ones for all, the caller's own party's, every one for the lead party and coordinators)."""
    participation = (
        Participation.objects.select_related("party").filter(project=project, party__code__iexact=party_code).first()
    )
    user = request.user
    if participation is None:
        raise Http404
    own = user.is_authenticated and user.party_id and user.party_id == participation.party_id
    if not (
        participation.status == ParticipationStatus.ACTIVE or own or user.has_perm("projects.view_history", project)
    ):
        raise Http404
    return participation


def _may_confirm(user, participation) -> bool:
    """As `participation_confirm`: the party's own focal point."""
    return bool(user.is_authenticated and user.is_focal_point and user.party_id == participation.party_id)


def _may_withdraw(user, participation) -> bool:
    """As `participation_withdraw`: the party's own officer or focal point."""
    own = user.is_authenticated and user.party_id == participation.party_id
    return bool(own and (user.is_focal_point or user.is_officer))


PARTICIPATION_EXAMPLE = OpenApiExample(
    "Invite Kenya as a partner", value={"party": "KEN", "role": "partner", "message": "Join us?"}, request_only=True
)


class NestedResourcesMixin:
    """Mixed into `ProjectViewSet`, which provides `_visible(pk)` (404 when invisible)."""

    def _participation_response(self, participation, etag, status_code=status.HTTP_200_OK):
        participation = Participation.objects.select_related("party").get(pk=participation.pk)
        data = ProjectParticipationSerializer(participation).data
        return Response(data, status=status_code, headers={"ETag": etag})

    # --- Participations ------------------------------------------------------------------

    @extend_schema(
        summary="A project's participations",
        description=("Active ones, plus the caller's own party's; every one for the lead party and coordinators."),
        responses={200: ProjectParticipationSerializer(many=True), 404: REFUSED[404]},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def participations(self, request, pk=None):
        project = self._visible(pk, related=False, participations=True)
        user = request.user
        rows = list(project.participations.all())
        if not user.has_perm("projects.view_history", project):
            own = user.party_id if user.is_authenticated else None
            rows = [p for p in rows if p.status == ParticipationStatus.ACTIVE or (own and p.party_id == own)]
        return Response(ProjectParticipationSerializer(rows, many=True).data)

    @extend_schema(
        summary="Invite a party",
        description=(
            "The lead party (or a coordinator) invites another party; it takes part once that party's "
            "focal point confirms (`…/participations/{party}/confirm/`)."
        ),
        request=InviteInputSerializer,
        parameters=[IF_MATCH],
        responses={201: ProjectParticipationSerializer, **REFUSED},
        examples=[PARTICIPATION_EXAMPLE],
        filters=False,
    )
    @participations.mapping.post
    def invite_party(self, request, pk=None):
        project = self._visible(pk)
        _require(request.user, project, "projects.manage_participants")
        check_if_match(request, project)
        data = _parsed(InviteInputSerializer, request)
        participation, etag = _guarded(
            request, project, lambda locked: participation_invite(project=locked, actor=request.user, **data)
        )
        return self._participation_response(participation, etag, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Ask to join a project",
        description=(
            "Another party's officer or focal point asks to join a published or ongoing project. "
            "An officer's request also needs the own focal point's confirmation."
        ),
        request=JoinInputSerializer,
        parameters=[IF_MATCH],
        responses={201: ProjectParticipationSerializer, **REFUSED},
        examples=[OpenApiExample("Join as a supporter", value={"role": "supporter"}, request_only=True)],
        filters=False,
    )
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        project = self._visible(pk)
        _require(request.user, project, "projects.ask_to_join")
        check_if_match(request, project)
        data = _parsed(JoinInputSerializer, request)
        participation, etag = _guarded(
            request, project, lambda locked: participation_request(project=locked, actor=request.user, **data)
        )
        return self._participation_response(participation, etag, status.HTTP_201_CREATED)

    def _answer(self, request, pk, party_code, *, may, service, decision=True):
        project = self._visible(pk)
        participation = _participation_of(request, project, party_code)
        if not may(request.user, participation, project):
            raise PermissionDenied
        check_if_match(request, project)
        accept = _parsed(DecisionInputSerializer, request)["decision"] == "accept" if decision else None
        kwargs = {"accept": accept} if decision else {}
        result, etag = _guarded(
            request, project, lambda _locked: service(participation=participation, actor=request.user, **kwargs)
        )
        return self._participation_response(result, etag)

    @extend_schema(
        summary="Answer a request to join (lead party)",
        request=DecisionInputSerializer,
        parameters=[IF_MATCH],
        responses={200: ProjectParticipationSerializer, **REFUSED},
        examples=[OpenApiExample("Accept", value={"decision": "accept"}, request_only=True)],
        filters=False,
    )
    @action(
        detail=True, methods=["post"], url_path=f"participations/{PARTY_CODE}/respond", url_name="participation-respond"
    )
    def respond_to_request(self, request, pk=None, party_code=None):
        def may(user, _participation, project):
            return user.has_perm("projects.manage_participants", project)

        return self._answer(request, pk, party_code, may=may, service=participation_respond)

    @extend_schema(
        summary="Confirm or decline for the own party (its focal point)",
        request=DecisionInputSerializer,
        parameters=[IF_MATCH],
        responses={200: ProjectParticipationSerializer, **REFUSED},
        examples=[OpenApiExample("Accept", value={"decision": "accept"}, request_only=True)],
        filters=False,
    )
    @action(
        detail=True, methods=["post"], url_path=f"participations/{PARTY_CODE}/confirm", url_name="participation-confirm"
    )
    def confirm_participation(self, request, pk=None, party_code=None):
        def may(user, participation, _project):
            return _may_confirm(user, participation)

        return self._answer(request, pk, party_code, may=may, service=participation_confirm)

    @extend_schema(
        summary="Leave a project (or take back a request)",
        request=None,
        parameters=[IF_MATCH],
        responses={200: ProjectParticipationSerializer, **REFUSED},
        filters=False,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=f"participations/{PARTY_CODE}/withdraw",
        url_name="participation-withdraw",
    )
    def withdraw_participation(self, request, pk=None, party_code=None):
        def may(user, participation, _project):
            return _may_withdraw(user, participation)

        return self._answer(request, pk, party_code, may=may, service=participation_withdraw, decision=False)

    # --- Milestones ----------------------------------------------------------------------

    @extend_schema(
        summary="A project's milestones",
        responses={200: MilestoneSerializer(many=True), 404: REFUSED[404]},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def milestones(self, request, pk=None):
        project = self._visible(pk, related=False)
        return Response(MilestoneSerializer(Milestone.objects.filter(project=project), many=True).data)

    @extend_schema(
        summary="Add a milestone",
        request=MilestoneInputSerializer,
        parameters=[IF_MATCH],
        responses={201: MilestoneSerializer, **REFUSED},
        examples=[
            OpenApiExample("A milestone", value={"title": "Pilot launched", "due_on": "2027-03-31"}, request_only=True)
        ],
        filters=False,
    )
    @milestones.mapping.post
    def milestone_create(self, request, pk=None):
        project = self._visible(pk)
        _require(request.user, project, *TRACKING)
        check_if_match(request, project)
        data = _parsed(MilestoneInputSerializer, request)
        milestone, etag = _guarded(
            request, project, lambda locked: milestone_save(project=locked, actor=request.user, **data)
        )
        return Response(MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED, headers={"ETag": etag})

    def _milestone(self, pk, milestone_id):
        project = self._visible(pk)
        milestone = Milestone.objects.filter(project=project, pk=milestone_id).first()
        if milestone is None:
            raise Http404
        return project, milestone

    def _milestone_write(self, request, pk, milestone_id, *, partial):
        project, milestone = self._milestone(pk, milestone_id)
        _require(request.user, project, *TRACKING)
        check_if_match(request, project)
        data = _parsed(MilestoneInputSerializer, request, partial=partial)
        if partial:  # PATCH keeps what is left out; PUT resets `done_on` when it is left out
            data = {"title": milestone.title, "due_on": milestone.due_on, "done_on": milestone.done_on, **data}
        saved, etag = _guarded(
            request,
            project,
            lambda locked: milestone_save(project=locked, actor=request.user, milestone=milestone, **data),
        )
        return Response(MilestoneSerializer(saved).data, headers={"ETag": etag})

    @extend_schema(
        summary="Replace a milestone",
        description="`done_on` left out is reset to null.",
        request=MilestoneInputSerializer,
        parameters=[IF_MATCH],
        responses={200: MilestoneSerializer, **REFUSED},
        examples=[
            OpenApiExample(
                "Mark as done",
                value={"title": "Pilot launched", "due_on": "2027-03-31", "done_on": "2027-03-20"},
                request_only=True,
            )
        ],
        filters=False,
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=r"milestones/(?P<milestone_id>[0-9]+)",
        url_name="milestone-detail",
    )
    def milestone_detail(self, request, pk=None, milestone_id=None):
        return self._milestone_write(request, pk, milestone_id, partial=False)

    @extend_schema(
        summary="Change some fields of a milestone",
        request=MilestoneInputSerializer(partial=True),
        parameters=[IF_MATCH],
        responses={200: MilestoneSerializer, **REFUSED},
        filters=False,
    )
    @milestone_detail.mapping.patch
    def milestone_patch(self, request, pk=None, milestone_id=None):
        return self._milestone_write(request, pk, milestone_id, partial=True)

    @extend_schema(
        summary="Delete a milestone",
        request=None,
        parameters=[IF_MATCH],
        responses={204: None, **REFUSED},
        filters=False,
    )
    @milestone_detail.mapping.delete
    def milestone_remove(self, request, pk=None, milestone_id=None):
        project, milestone = self._milestone(pk, milestone_id)
        _require(request.user, project, *TRACKING)
        check_if_match(request, project)
        _result, etag = _guarded(
            request, project, lambda locked: milestone_delete(project=locked, actor=request.user, milestone=milestone)
        )
        return Response(status=status.HTTP_204_NO_CONTENT, headers={"ETag": etag})

    # --- Progress reports ----------------------------------------------------------------

    @extend_schema(
        summary="A project's progress reports, with their indicators",
        responses={200: ProgressReportSerializer(many=True), 404: REFUSED[404]},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="progress-reports", pagination_class=None)
    def progress_reports(self, request, pk=None):
        project = self._visible(pk, related=False)
        reports = ProgressReport.objects.filter(project=project).select_related("party").prefetch_related("indicators")
        return Response(ProgressReportSerializer(reports, many=True).data)

    @extend_schema(
        summary="Report progress",
        description="A participating party reports on a published or ongoing project, with its indicators.",
        request=ProgressReportInputSerializer,
        parameters=[IF_MATCH],
        responses={201: ProgressReportSerializer, **REFUSED},
        examples=[
            OpenApiExample(
                "A quarterly report",
                value={
                    "period_start": "2027-01-01",
                    "period_end": "2027-03-31",
                    "percent_complete": 40,
                    "language": "en",
                    "narrative": "Two customs offices connected.",
                    "indicators": [{"name": "Offices connected", "unit": "offices", "target": "5", "actual": "2"}],
                },
                request_only=True,
            )
        ],
        filters=False,
    )
    @progress_reports.mapping.post
    def progress_report_create(self, request, pk=None):
        project = self._visible(pk)
        _require(request.user, project, "projects.report_progress")
        check_if_match(request, project)
        data = _parsed(ProgressReportInputSerializer, request)
        report, etag = _guarded(
            request, project, lambda locked: progress_report_add(project=locked, actor=request.user, **data)
        )
        report = ProgressReport.objects.select_related("party").prefetch_related("indicators").get(pk=report.pk)
        return Response(ProgressReportSerializer(report).data, status=status.HTTP_201_CREATED, headers={"ETag": etag})

    # --- Documents -----------------------------------------------------------------------

    @extend_schema(
        summary="A project's documents (metadata only)",
        description="Restricted documents only for participants and coordinators.",
        responses={200: DocumentMetadataSerializer(many=True), 404: REFUSED[404]},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, parser_classes=[MultiPartParser, FormParser])
    def documents(self, request, pk=None):
        project = self._visible(pk, related=False)
        documents = selectors.visible_documents(request.user, project)
        return Response(DocumentMetadataSerializer(documents, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload a document",
        description=(
            "`multipart/form-data`, with the web's checks: type (by extension), size and signature "
            "(the first bytes must match the extension). No If-Match: documents are not part of the "
            "project's representation."
        ),
        request={"multipart/form-data": DocumentInputSerializer},
        responses={201: DocumentMetadataSerializer, **refusals(412, 428)},
        filters=False,
    )
    @documents.mapping.post
    def document_create(self, request, pk=None):
        project = self._visible(pk)
        _require(request.user, project, *TRACKING)
        data = _parsed(DocumentInputSerializer, request)
        document = document_add(
            project=project, actor=request.user, upload=data["file"], title=data["title"], restricted=data["restricted"]
        )
        body = DocumentMetadataSerializer(document, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a document",
        description="The file, for callers who may see it (restricted ones: participants and coordinators).",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, with its media type."),
            404: REFUSED[404],
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"documents/(?P<document_id>[0-9]+)/file",
        url_name="document-file",
        pagination_class=None,
    )
    def document_file(self, request, pk=None, document_id=None):
        project = self._visible(pk, related=False)
        document = Document.objects.filter(project=project, pk=document_id).first()
        if document is None or (document.restricted and not selectors.can_see_restricted(request.user, project)):
            raise Http404
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=download_name(document),
            content_type=document.content_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store" if document.restricted else "private"
        return response
