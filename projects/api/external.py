"""`/api/v1/projects/external/…`: partner systems address projects by their own ids.

- `GET  external/{source}/{external_id}/` reads the project (404 when the caller may not see it).
- `PUT  external/{source}/{external_id}/` creates or updates it (201 or 200). If-Match is optional
  here (a partner syncing from its own database has no ETag to send) but honoured when given:
  412 when stale, and also when the project does not exist yet. `If-None-Match: *` creates only.
- `POST external/bulk/` upserts up to `API_BULK_MAX_ITEMS` projects and answers per item.

An upsert is a full replacement, as PUT on a project: fields and lists left out are reset to
their defaults. The lead party always comes from the caller; an external id of another party's project is
refused with 409 and never moved. Content identical to what is stored writes nothing.
"""

import re
import unicodedata
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.problems import problem
from framework.models import Article
from projects.choices import BeneficiaryGroup, CooperationMode, Language, ProjectType
from projects.models import ExternalId, Project
from projects.services.bulk import ExternalIdTaken, Outcome, Upsert, project_upsert, projects_upsert_many
from projects.services.editing import ArticleTag
from registry.api.permissions import KeyScopeAllowsMethod

from .etags import PreconditionFailed, etag_for, if_match_values
from .serializers import ProjectDetailSerializer, ProjectWriteSerializer, attach_related
from .views import _deny_other_lead_party

REFUSED = {
    400: OpenApiResponse(description="Invalid fields (problem+json with `errors`)."),
    401: OpenApiResponse(description="No valid credentials."),
    403: OpenApiResponse(description="The caller may not change this project (or the key is read-only)."),
    409: OpenApiResponse(description="The external id belongs to another party's project."),
    412: OpenApiResponse(description="If-Match is stale (or given for a project that does not exist yet)."),
}


class ExternalIdTakenError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This external id is used by another party's project."
    default_code = "external_id_taken"


def _check_path(source: str, external_id: str) -> None:
    if len(source) > 64 or len(external_id) > 128:
        raise exceptions.ValidationError({"external_id": [_("A source has at most 64 characters, an id 128.")]})
    # Control characters (NUL above all, which PostgreSQL cannot store) or a blank id name nothing.
    if not external_id.strip() or any(unicodedata.category(char) == "Cc" for char in external_id):
        raise exceptions.ValidationError({"external_id": [_("An id may not be blank or contain control characters.")]})


def _upsert_item(user, source, external_id, serializer) -> Upsert:
    """A validated payload as an `Upsert`: the lead party comes from the caller (only a coordinator
    may name it, for a new project); a payload may repeat it, never change it."""
    arguments = serializer.service_arguments(replace=True)
    code = serializer.validated_data.get("lead_party")
    lead_party = None
    if user.is_coordinator or user.is_superuser:
        link = ExternalId.objects.filter(source=source, external_id=external_id).select_related("project").first()
        if link is not None:
            _deny_other_lead_party(user, code, current=link.project)
        else:
            lead_party = _deny_other_lead_party(user, code)
    elif code:
        _deny_other_lead_party(user, code)  # refuses any party but the caller's own
    return Upsert(source=source, external_id=external_id, lead_party=lead_party, **arguments)


class CatalogueWriteSerializer(ProjectWriteSerializer):
    """`ProjectWriteSerializer` with the articles looked up in a catalogue loaded once per batch."""

    def validate_articles(self, tags):
        catalogue = self.context["articles"]
        wanted = [(tag["framework"].upper(), tag["number"]) for tag in tags]
        missing = sorted({f"{code} {number}" for code, number in wanted if (code, number) not in catalogue})
        if missing:
            raise serializers.ValidationError(_("Unknown article: %(articles)s.") % {"articles": ", ".join(missing)})
        return [
            ArticleTag(catalogue[key], is_primary=tag["primary"], note=tag["note"])
            for key, tag in zip(wanted, tags, strict=True)
        ]


def article_catalogue() -> dict:
    articles = Article.objects.select_related("framework")
    return {(article.framework.code.upper(), article.number): article for article in articles}


def _detail(request, pk, status_code=status.HTTP_200_OK, **headers) -> Response:
    project = Project.objects.visible_to(request.user).select_related("lead_party", "lead_organization")
    project = project.with_reporting().filter(pk=pk).first()
    if project is None:
        raise Http404
    attach_related([project])
    data = ProjectDetailSerializer(project, context={"request": request}).data
    return Response(data, status=status_code, headers={"ETag": etag_for(project), **headers})


def _preconditions(request):
    """If-Match (optional, strong) and `If-None-Match: *`, checked under the row lock."""
    values = if_match_values(request)
    create_only = (request.headers.get("If-None-Match") or "").strip() == "*"

    def check(project):
        if project is None:
            if values is not None:
                raise PreconditionFailed(_("There is no project with this external id yet: send no If-Match."))
            return
        if create_only:
            raise PreconditionFailed(_("A project with this external id exists already."))
        if values is not None and "*" not in values and etag_for(project) not in values:
            raise PreconditionFailed

    return check


class ExternalProjectView(APIView):
    """One project by (source, external id)."""

    permission_classes = [IsAuthenticatedOrReadOnly, KeyScopeAllowsMethod]

    @extend_schema(summary="Read a project by external id", responses={200: ProjectDetailSerializer})
    def get(self, request, source, external_id):
        if "\x00" in external_id:  # PostgreSQL cannot even compare it; no project has such an id
            raise Http404
        link = ExternalId.objects.filter(source=source, external_id=external_id).only("project_id").first()
        if link is None:
            raise Http404
        return _detail(request, link.project_id)

    @extend_schema(
        summary="Create or update a project by external id",
        description=(
            "Creates a draft led by the caller's party (201) or updates the project (200). Content identical "
            "to what is stored changes nothing. If-Match is optional; when given it must be current."
        ),
        request=ProjectWriteSerializer,
        responses={200: ProjectDetailSerializer, 201: ProjectDetailSerializer, **REFUSED},
    )
    def put(self, request, source, external_id):
        _check_path(source, external_id)
        serializer = ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = _upsert_item(request.user, source, external_id, serializer)
        try:
            outcome = project_upsert(actor=request.user, item=item, precondition=_preconditions(request))
        except ExternalIdTaken:
            raise ExternalIdTakenError from None
        if outcome.result == "created":
            location = request.build_absolute_uri(f"/api/v1/projects/{outcome.project.pk}/")
            return _detail(request, outcome.project.pk, status.HTTP_201_CREATED, Location=location)
        return _detail(request, outcome.project.pk, **{"Upsert-Result": outcome.result})


class ItemKeySerializer(serializers.Serializer):
    source = serializers.SlugField(max_length=64, help_text="The partner system.")
    external_id = serializers.CharField(max_length=128, help_text="The project's id in that system.")


class Reused:
    """One serializer instance validating many payloads in turn.

    DRF deep-copies every declared field for each new serializer instance (about a millisecond
    for `ProjectWriteSerializer`): for a 500-item batch that alone would be most of the budget.
    `plain`, when given, answers first: the validated data of a payload in the plain shape
    partners send (see `plain_content`), or None and the serializer decides (and words the errors)."""

    def __init__(self, serializer, plain=None):
        self.serializer = serializer
        self.plain = plain

    def validate(self, data):
        """The serializer, validated against `data`, and its errors (empty when valid)."""
        serializer = self.serializer
        serializer.initial_data = data  # read by ProjectWriteSerializer.validate (unknown keys)
        validated = self.plain(data) if self.plain else None
        if validated is not None:
            serializer._validated_data, serializer._errors = validated, {}
            return serializer, {}
        try:
            serializer._validated_data, serializer._errors = serializer.run_validation(data), {}
        except serializers.ValidationError as exc:
            serializer._validated_data, serializer._errors = {}, exc.detail
        return serializer, serializer._errors


# --- The plain shape, validated without DRF's per-field machinery ------------------------
#
# About 35 fields per item through DRF cost ~0.2 ms: half the bulk budget for 500 items. These
# functions accept only canonical JSON (strings, true/false, integers, ISO dates, decimal
# strings) that certainly passes `ProjectWriteSerializer`, and return exactly its validated
# data (tests/api/test_external.py compares both); anything else goes to the serializer.


class _Unusual(Exception):
    """Not the plain shape: let the serializer validate (and word the errors)."""


_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")  # DRF refuses NUL and lone surrogates
_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_AMOUNT = re.compile(r"\d{1,16}(\.\d{1,2})?\Z")
_CENT = Decimal("0.01")
_TITLE_KEYS = {"zh-hans", "en"}
_TAG_KEYS = {"framework", "number", "primary", "note"}
_CONTACT_KEYS = {"name", "email", "phone", "restricted"}
_CHOICES = {
    "language": set(Language.values),
    "cooperation_mode": set(CooperationMode.values) | {""},
    "project_type": set(ProjectType.values) | {""},
}
_GROUPS = set(BeneficiaryGroup.values)
_TEXTS = {"places": 300, "funding_sources": None}
_FLAGS = ("early_harvest", "budget_restricted")


def _text(value, max_length=None, *, blank=True) -> str:
    """As a DRF CharField (trimmed), for strings only."""
    if type(value) is not str or _UNSAFE_TEXT.search(value):
        raise _Unusual
    value = value.strip()
    if not value and not blank:
        raise _Unusual
    if value and max_length is not None and len(value) > max_length:
        raise _Unusual
    return value


def _flag(value) -> bool:
    if type(value) is not bool:
        raise _Unusual
    return value


def _texts(value, max_length, most=None) -> list[str]:
    if type(value) is not list or (most is not None and len(value) > most):
        raise _Unusual
    return [_text(item, max_length, blank=False) for item in value]


def _translated(value) -> dict:
    if type(value) is not dict or not value.keys() <= _TITLE_KEYS:
        raise _Unusual
    return {code: _text(value[code]) for code in ("zh-hans", "en") if code in value}


def _date(value):
    if value is None:
        return None
    if type(value) is not str or not _DATE.match(value):
        raise _Unusual
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Unusual from None


def _tags(value, catalogue) -> list[ArticleTag]:
    if type(value) is not list:
        raise _Unusual
    tags = []
    for tag in value:
        if type(tag) is not dict or not tag.keys() <= _TAG_KEYS:
            raise _Unusual
        number = tag.get("number")
        if type(number) is not int or number < 1:
            raise _Unusual
        framework = _text(tag.get("framework", "DEGD-2023"), blank=False)
        article = catalogue.get((framework.upper(), number))
        if article is None:
            raise _Unusual
        tags.append(
            ArticleTag(article, is_primary=_flag(tag.get("primary", False)), note=_text(tag.get("note", ""), 500))
        )
    return tags


def _budget(value):
    if value is None:
        return None
    if type(value) is not dict or value.keys() != {"amount", "currency"}:
        raise _Unusual
    amount = value["amount"]
    if type(amount) is not str or not _AMOUNT.match(amount):
        raise _Unusual
    return {"amount": Decimal(amount).quantize(_CENT), "currency": _text(value["currency"], 3, blank=False)}


def _contact(value) -> dict:
    if type(value) is not dict or not value.keys() <= _CONTACT_KEYS:
        raise _Unusual
    contact = {}
    for key, max_length in (("name", 200), ("email", None), ("phone", 40)):
        if key in value:
            contact[key] = _text(value[key], max_length)
    if contact.get("email"):
        try:
            validate_email(contact["email"])
        except DjangoValidationError:
            raise _Unusual from None
    if "restricted" in value:
        contact["restricted"] = _flag(value["restricted"])
    return contact


def _content(data, catalogue) -> dict:
    if type(data) is not dict or "title" not in data or "language" not in data:
        raise _Unusual
    # Unknown keys, the lead party and organization (they need queries and their own errors): DRF.
    if not data.keys() <= _PLAIN_KEYS or data.get("lead_organization") is not None:
        raise _Unusual
    validated = {}
    for name, choices in _CHOICES.items():
        if name in data:
            if type(data[name]) is not str or data[name] not in choices:
                raise _Unusual
            validated[name] = data[name]
    for name in ("title", "summary"):
        if name in data:
            validated[name] = _translated(data[name])
    if "lead_organization" in data:
        validated["lead_organization"] = None
    if "articles" in data:
        validated["articles"] = _tags(data["articles"], catalogue)
    if "themes" in data:
        validated["themes"] = _texts(data["themes"], 80, most=50)
    if "sdgs" in data:
        sdgs = data["sdgs"]
        if type(sdgs) is not list or len(sdgs) > 17 or any(type(n) is not int or not 1 <= n <= 17 for n in sdgs):
            raise _Unusual
        validated["sdgs"] = list(sdgs)
    if "beneficiary_groups" in data:
        groups = data["beneficiary_groups"]
        if type(groups) is not list or any(type(group) is not str or group not in _GROUPS for group in groups):
            raise _Unusual
        validated["beneficiary_groups"] = list(groups)
    if "countries" in data:
        validated["countries"] = _texts(data["countries"], 3)
    for name, max_length in _TEXTS.items():
        if name in data:
            validated[name] = _text(data[name], max_length)
    for name in _FLAGS:
        if name in data:
            validated[name] = _flag(data[name])
    for name in ("start_on", "end_on"):
        if name in data:
            validated[name] = _date(data[name])
    if "budget" in data:
        validated["budget"] = _budget(data["budget"])
    if "contact" in data:
        validated["contact"] = _contact(data["contact"])
    return validated


_PLAIN_KEYS = {
    *_CHOICES,
    *_TEXTS,
    *_FLAGS,
    "title",
    "summary",
    "lead_organization",
    "articles",
    "themes",
    "sdgs",
    "beneficiary_groups",
    "countries",
    "start_on",
    "end_on",
    "budget",
    "contact",
}


def plain_content(catalogue):
    """`data` → the validated data `CatalogueWriteSerializer` would give, or None (not plain)."""

    def validate(data):
        try:
            return _content(data, catalogue)
        except _Unusual:
            return None

    return validate


def plain_key(data):
    """An item's (source, external id) as `ItemKeySerializer` validates them, or None."""
    if type(data) is not dict:
        return None
    source, external_id = data.get("source"), data.get("external_id")
    if type(source) is not str or not _SLUG.match(source) or len(source) > 64:
        return None
    try:
        return {"source": source, "external_id": _text(external_id, 128, blank=False)}
    except _Unusual:
        return None


class BulkItemSerializer(ItemKeySerializer):
    """One item as documented (the content is validated on its own, so that its errors are per item)."""

    project = ProjectWriteSerializer(help_text="The project's content, as for PUT.")


class BulkRequestSerializer(serializers.Serializer):
    items = BulkItemSerializer(many=True, help_text="Up to 500 projects.")


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request.")
    source = serializers.CharField(allow_null=True)
    external_id = serializers.CharField(allow_null=True)
    result = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    id = serializers.IntegerField(allow_null=True, help_text="Library id of the project.")
    problem = serializers.DictField(allow_null=True, help_text="RFC 9457 problem details of a refused item.")


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())


def _refused(status_code, detail, errors=None) -> Outcome:
    return Outcome("error", error_status=status_code, detail=str(detail), errors=errors or {})


class ExternalBulkView(APIView):
    """Many projects by external id in one request, each answered on its own."""

    permission_classes = [IsAuthenticated, KeyScopeAllowsMethod]

    @extend_schema(
        summary="Create or update many projects by external id",
        description=(
            "Each item is created, updated, left unchanged or refused on its own (with field errors): "
            "one bad item blocks no other and no project is ever half-written."
        ),
        request=BulkRequestSerializer,
        responses={200: BulkResponseSerializer, 400: REFUSED[400], 401: REFUSED[401], 403: REFUSED[403]},
    )
    def post(self, request):
        raw_items = request.data.get("items") if isinstance(request.data, dict) else None
        limit = settings.API_BULK_MAX_ITEMS
        if not isinstance(raw_items, list) or not raw_items:
            raise exceptions.ValidationError({"items": [_("Send a non-empty list of items.")]})
        if len(raw_items) > limit:
            raise exceptions.ValidationError({"items": [_("At most %(limit)d items per request.") % {"limit": limit}]})
        keys, items = [], []
        seen = set()
        catalogue = article_catalogue()
        keys_serializer = Reused(ItemKeySerializer(), plain_key)
        content_serializer = Reused(CatalogueWriteSerializer(context={"articles": catalogue}), plain_content(catalogue))
        for raw in raw_items:
            key, item = self._item(request.user, raw, seen, keys_serializer, content_serializer)
            keys.append(key)
            items.append(item)
        outcomes = projects_upsert_many(actor=request.user, items=items)
        results, counts = [], {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for index, ((source, external_id), outcome) in enumerate(zip(keys, outcomes, strict=True)):
            counts[outcome.result] += 1
            refused = None
            if outcome.result == "error":
                extra = {"errors": outcome.errors} if outcome.errors else {}
                refused = problem(outcome.error_status, outcome.detail, **extra)
            results.append(
                {
                    "index": index,
                    "source": source,
                    "external_id": external_id,
                    "result": outcome.result,
                    "id": outcome.project.pk if outcome.project else None,
                    "problem": refused,
                }
            )
        return Response({"results": results, "counts": counts})

    def _item(self, user, raw, seen, keys_serializer, content_serializer):
        """((source, external id), Upsert or a refused Outcome) for one raw item."""
        if not isinstance(raw, dict):
            return (None, None), _refused(400, _("Each item is an object."))
        # Echoed in the answer so the partner can match it: only as given when it is a string.
        key = tuple(value if isinstance(value, str) else None for value in (raw.get("source"), raw.get("external_id")))
        keys, key_errors = keys_serializer.validate(raw)
        content, content_errors = content_serializer.validate(raw.get("project"))
        if key_errors or content_errors:
            errors = dict(key_errors)
            if content_errors:
                errors["project"] = content_errors
            return key, _refused(400, _("One or more fields are invalid."), errors)
        source, external_id = keys.validated_data["source"], keys.validated_data["external_id"]
        if (source, external_id) in seen:
            return key, _refused(409, _("This external id appears twice in the request."))
        seen.add((source, external_id))
        try:
            return key, _upsert_item(user, source, external_id, content)
        except (exceptions.PermissionDenied, DjangoPermissionDenied) as exc:
            return key, _refused(403, getattr(exc, "detail", "") or _("You may not do this."))
