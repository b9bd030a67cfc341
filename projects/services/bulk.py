"""Upserting projects by a partner system's external id, one at a time or in batches.

Every write goes through `project_create` / `project_update`, so the same rules apply as on
the web (the party from the actor, tag and content validation, history). What this module
adds is the external id and "no change" detection: content identical to what is stored is
not written at all (no `updated_at` move, no history row), so a partner may replay a batch.

An external id names one project for ever: it is never moved to another party's project.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, CharField, DateTimeField, OuterRef, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from feed.services import change_record_created
from registry.models import Party

from ..choices import PUBLIC_STATUSES, ParticipationRole, ParticipationStatus
from ..models import ExternalId, Participation, Project, ProjectArticle, Theme
from . import bulk_sql
from .editing import (
    CONTENT_FIELDS,
    ArticleTag,
    _article_tag_errors,
    _content_errors,
    project_create,
    project_update,
)


class ExternalIdTaken(Exception):
    """The external id already names a project of another party."""


@dataclass
class Upsert:
    """One project's content, as `project_create` / `project_update` take it, under an external id."""

    source: str
    external_id: str
    fields: dict
    article_tags: list[ArticleTag] | None = None
    theme_names: list[str] | None = None
    sdg_numbers: list[int] | None = None
    lead_party: Party | None = None

    def service_arguments(self) -> dict:
        return {
            "fields": self.fields,
            "article_tags": self.article_tags,
            "theme_names": self.theme_names,
            "sdg_numbers": self.sdg_numbers,
        }


@dataclass
class Outcome:
    """What happened to one item: created, updated, unchanged or error (with an HTTP-like status)."""

    result: str
    project: Project | None = None
    error_status: int | None = None
    errors: dict = field(default_factory=dict)
    detail: str = ""


def project_upsert(*, actor, item: Upsert, precondition: Callable[[Project | None], None] | None = None) -> Outcome:
    """Create the project named by (source, external id), or bring it to `item`'s content.

    `precondition(project or None)` runs under the row lock (the view's If-Match checks).
    Raises ExternalIdTaken, PermissionDenied or ValidationError and then changes nothing."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _upsert(actor, item, precondition)
        except IntegrityError:
            # Another request created the same external id at the same moment: its project
            # was rolled back with ours; the second attempt finds the winner and updates it.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _upsert(actor, item, precondition):
    link = (
        ExternalId.objects.select_for_update()
        .filter(source=item.source, external_id=item.external_id)
        .only("project_id")
        .first()
    )
    if link is None:
        if precondition:
            precondition(None)
        project = project_create(actor=actor, lead_party=item.lead_party, **item.service_arguments())
        ExternalId.objects.create(project=project, source=item.source, external_id=item.external_id)
        return Outcome("created", project)
    project = Project.objects.select_for_update().get(pk=link.project_id)
    if not _may_use(actor, project):
        raise ExternalIdTaken
    if precondition:
        precondition(project)
    if is_unchanged(project, item):
        return Outcome("unchanged", project)
    project = project_update(project=project, actor=actor, **item.service_arguments())
    return Outcome("updated", project)


def _may_use(actor, project) -> bool:
    """Only the lead party's own callers (and the secretariat) may reach a project by its external id."""
    if actor.is_superuser or getattr(actor, "is_coordinator", False):
        return True
    return bool(actor.party_id) and actor.party_id == project.lead_party_id


def projects_upsert_many(*, actor, items: list[Upsert | Outcome]) -> list[Outcome]:
    """Upsert a batch: one bad item blocks no other, and no project is ever half-written.

    An `Outcome` in `items` is an item the caller already refused (invalid payload): kept as is.
    Three paths, all with the same rules (see `_create_many` for what the fast one does itself):
    - items whose stored project already has the content: "unchanged", nothing written;
    - new external ids: validated one by one, then written together in one transaction;
    - the rest (changes, and anything the fast path could not write): one savepoint each,
      through `project_upsert`, so through `project_create` / `project_update`.
    """
    outcomes: list[Outcome | None] = [item if isinstance(item, Outcome) else None for item in items]
    pending = [(index, item) for index, item in enumerate(items) if outcomes[index] is None]
    links = _links([item for _index, item in pending])
    current = _current_content(set(links.values()))
    new, slow = [], []
    for index, item in pending:
        project = current.get(links.get((item.source, item.external_id)))
        if project is None:
            new.append((index, item))
        elif not _may_use(actor, project):
            outcomes[index] = _one_refusal(ExternalIdTaken())
        elif is_unchanged(project, item, loaded=True):
            outcomes[index] = Outcome("unchanged", project)
        else:
            slow.append((index, item))
    for index, outcome in _create_many(actor, new).items():
        outcomes[index] = outcome
    with transaction.atomic():
        for index, item in [*slow, *((i, item) for i, item in new if outcomes[i] is None)]:
            outcomes[index] = _one(actor, item)
    return outcomes


def _links(items) -> dict[tuple[str, str], int]:
    """(source, external id) → project id, for the items' external ids that exist."""
    ids = {item.external_id for item in items}
    sources = {item.source for item in items}
    rows = ExternalId.objects.filter(external_id__in=_among(ids, "text"), source__in=sources)
    return {
        (source, external_id): pk for source, external_id, pk in rows.values_list("source", "external_id", "project")
    }


def _among(values, db_type="bigint"):
    """`values` for an `__in` lookup: on PostgreSQL one array parameter instead of one per value
    (a 500-value IN list costs more to quote and to parse than the query itself)."""
    if connection.vendor != "postgresql":
        return values
    return RawSQL(f"SELECT unnest(%s::{db_type}[])", (list(values),))  # noqa: S611 (a constant type name)


def _current_content(project_ids) -> dict[int, Project]:
    """The projects with their tags, theme names and SDGs loaded (four queries for any number)."""
    if not project_ids:
        return {}
    project_ids = _among(project_ids)
    projects = {project.pk: project for project in Project.objects.filter(pk__in=project_ids)}
    for project in projects.values():
        project.loaded_tags, project.loaded_themes, project.loaded_sdgs = set(), set(), set()
    links = ProjectArticle.objects.filter(project_id__in=project_ids)
    for project_id, article_id, primary, note in links.values_list("project_id", "article_id", "is_primary", "note"):
        projects[project_id].loaded_tags.add((article_id, primary, note))
    themes = Project.themes.through.objects.filter(project_id__in=project_ids)
    for project_id, name in themes.values_list("project_id", "theme__name"):
        projects[project_id].loaded_themes.add(name.casefold())
    sdgs = Project.sdgs.through.objects.filter(project_id__in=project_ids)
    for project_id, number in sdgs.values_list("project_id", "sdg_id"):
        projects[project_id].loaded_sdgs.add(number)
    return projects


def _one(actor, item) -> Outcome:
    try:
        return project_upsert(actor=actor, item=item)
    except (ExternalIdTaken, PermissionDenied, ValidationError, IntegrityError) as exc:
        return _one_refusal(exc)


def _one_refusal(exc) -> Outcome:
    if isinstance(exc, ExternalIdTaken):
        return Outcome("error", error_status=409, detail=_("This external id is used by another party's project."))
    if isinstance(exc, PermissionDenied):
        return Outcome("error", error_status=403, detail=str(exc) or _("You may not change this project."))
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Outcome("error", error_status=400, errors=errors, detail=_("One or more fields are invalid."))
    return Outcome("error", error_status=409, detail=_("Another request changed this item at the same time."))


# --- Creating many at once -------------------------------------------------------------


def _create_many(actor, new: list[tuple[int, Upsert]]) -> dict[int, Outcome]:
    """Create new projects with a few bulk statements instead of ~40 queries each.

    Same rules as `project_create`: who may create, the lead party from the actor (a coordinator
    names it), content, tag and model validation (`_content_errors`, `_article_tag_errors`,
    `full_clean`), the lead participation, the search document, and one history row per
    project, tag and participation (with the themes and SDGs in the project's history row).
    What it does not do: the two intermediate "~" history rows `project_create` leaves behind
    when it sets themes and SDGs one after the other, and any hook added to `project_create`
    itself later. Items it cannot write (a conflict with a concurrent request) are left out of
    the answer, and the caller writes them one by one through the services."""
    if not new:
        return {}
    try:
        party_of = _creation_party(actor)
    except (PermissionDenied, ValidationError) as exc:
        return {index: _one_refusal(exc) for index, _item in new}
    outcomes, ready = {}, []
    themes = _themes_by_name({name for _index, item in new for name in clean_theme_names(item.theme_names or [])})
    for index, item in new:
        try:
            ready.append((index, item, _unsaved_project(actor, party_of(item), item, themes)))
        except ValidationError as exc:
            outcomes[index] = _one_refusal(exc)
    if not ready:  # every new item was refused: nothing to write
        return outcomes
    try:
        with transaction.atomic():
            _write_new(actor, ready)
    except IntegrityError:
        return outcomes  # the rest go through the services, one savepoint each
    for index, _item, project in ready:
        outcomes[index] = Outcome("created", project)
    return outcomes


def _creation_party(actor):
    """As in `project_create`: who may create, and for which party."""
    partner_system = getattr(actor, "role", None) == "partner_system"
    if not actor.is_authenticated or not (
        actor.is_officer or actor.is_focal_point or actor.is_coordinator or partner_system
    ):
        raise PermissionDenied
    party = actor.party if actor.party_id else None

    def party_of(item):
        if actor.is_coordinator and item.lead_party is not None:
            return item.lead_party
        if party is None:
            raise ValidationError({"lead_party": _("Choose the lead party.")})
        return party

    return party_of


def _themes_by_name(names) -> dict[str, Theme]:
    """Existing themes by casefolded name, creating the missing ones."""
    if not names:
        return {}
    wanted = {name.casefold(): name for name in names}

    def existing():
        rows = Theme.objects.annotate(folded=Lower("name")).filter(folded__in={n.lower() for n in names})
        return {theme.name.casefold(): theme for theme in rows}

    found = existing()
    missing = [Theme(name=name) for folded, name in wanted.items() if folded not in found]
    if missing:
        Theme.objects.bulk_create(missing, ignore_conflicts=True)
        found = existing()
    return found


# Set by `_create_many` itself (the actor, the party, defaults), not by an item: not validated per item.
_NOT_CONTENT = frozenset(model_field.name for model_field in Project._meta.fields) - CONTENT_FIELDS


def _unsaved_project(actor, party, item, themes) -> Project:
    unknown = set(item.fields) - CONTENT_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    project = Project(lead_party=party, created_by=actor, **item.fields)
    errors = _content_errors(project)
    errors.update(_article_tag_errors(item.article_tags or []))
    # `project_create`'s `full_clean`, for what an item sets: its content fields. The others hold
    # their defaults or come from the actor (no query needed for the lead party or the creator),
    # and the only unique field, reference_code, stays empty: no uniqueness check to run.
    for check in (partial(project.clean_fields, exclude=_NOT_CONTENT), project.clean):
        try:
            check()
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                errors.setdefault(field_name, messages)
    if errors:
        raise ValidationError(errors)
    project.bulk_themes = [themes[name.casefold()] for name in clean_theme_names(item.theme_names or [])]
    project.bulk_sdgs = sorted(set(item.sdg_numbers or []))
    project.search_document = "\n".join(
        part
        for part in (
            project.title_zh_hans,
            project.title_en,
            project.summary_zh_hans,
            project.summary_en,
            project.places,
            *(theme.name for theme in project.bulk_themes),
        )
        if part
    ).casefold()
    return project


def _write_new(actor, ready) -> None:
    """Write the validated new projects and everything `project_create` writes with them."""
    now = timezone.now()
    projects = [project for _index, _item, project in ready]
    for project in projects:
        project.created_at = project.updated_at = now
    if connection.vendor == "postgresql":
        _write_new_sql(actor, ready, now)
    else:
        _write_new_orm(actor, ready, now)
    # Partners syncing see the new projects (their lead party, the only participation), in the same transaction.
    change_record_created(
        audiences={project.pk: (project.status in PUBLIC_STATUSES, {project.lead_party_id}) for project in projects}
    )


def _related_rows(actor, ready, now) -> list[tuple]:
    """(model, rows, constants) for the rows written with the new projects, once these have ids."""
    lead = {
        "role": ParticipationRole.LEAD.value,
        "status": ParticipationStatus.ACTIVE.value,
        "lead_accepted_at": now,
        "party_confirmed_at": now,
        "party_confirmed_by_id": actor.pk,
        "created_at": now,
        "updated_at": now,
    }
    projects = [project for _index, _item, project in ready]
    return [
        (Participation, [{"project_id": p.pk, "party_id": p.lead_party_id} for _i, _item, p in ready], lead),
        (
            ProjectArticle,
            [
                {"project_id": p.pk, "article_id": tag.article.pk, "is_primary": tag.is_primary, "note": tag.note}
                for _i, item, p in ready
                for tag in item.article_tags or []
            ],
            {},
        ),
        (Project.themes.through, [{"project_id": p.pk, "theme_id": t.pk} for p in projects for t in p.bulk_themes], {}),
        (Project.sdgs.through, [{"project_id": p.pk, "sdg_id": n} for p in projects for n in p.bulk_sdgs], {}),
        (
            ExternalId,
            [{"project_id": p.pk, "source": item.source, "external_id": item.external_id} for _i, item, p in ready],
            {},
        ),
    ]


# The rows written with a new project that have a history of their own (each gets a "+" row).
_WITH_HISTORY = (Participation, ProjectArticle)


def _write_new_sql(actor, ready, now) -> None:
    """PostgreSQL: one statement per table, with its history rows (`bulk_sql`)."""
    projects = [project for _index, _item, project in ready]
    columns = [field.attname for field in Project._meta.concrete_fields if not field.primary_key]
    returned = bulk_sql.insert(
        Project,
        [{name: getattr(project, name) for name in columns} for project in projects],
        history=(actor.pk, now),
        returning=("id", "history_id"),
    )
    for project, (pk, _history_id) in zip(projects, returned, strict=True):
        project.pk = pk
        project._state.adding, project._state.db = False, connection.alias
    history_ids = dict(returned)
    for model, rows, constants in _related_rows(actor, ready, now):
        if model in (Project.themes.through, Project.sdgs.through):
            name = "themes" if model is Project.themes.through else "sdgs"
            historical = apps.get_model("projects", f"HistoricalProject_{name}")
            bulk_sql.insert_m2m(model, rows, history_model=historical, history_ids=history_ids)
        else:
            history = (actor.pk, now) if model in _WITH_HISTORY else None
            bulk_sql.insert(model, rows, constants=constants, history=history)


def _write_new_orm(actor, ready, now) -> None:
    """Other databases (SQLite): `bulk_create`, then the history rows copied by INSERT … SELECT."""
    projects = [project for _index, _item, project in ready]
    Project.objects.bulk_create(projects)
    for model, rows, constants in _related_rows(actor, ready, now):
        if rows:
            model.objects.bulk_create([model(**row, **constants) for row in rows])
    ids = [project.pk for project in projects]
    # History rows are copied by the database from the rows just written (INSERT … SELECT): the
    # same rows `bulk_history_create` would make, without building thousands of model instances.
    for model in (Project, *_WITH_HISTORY):
        rows = model.objects.filter(**{"pk__in" if model is Project else "project_id__in": ids})
        _history_from(model, rows, actor, now)
    historical_project = Project.history.model
    created = historical_project.objects.filter(id=OuterRef("project_id"), history_type="+").values("history_id")
    for name, column in (("themes", "theme_id"), ("sdgs", "sdg_id")):
        through = getattr(Project, name).through
        rows = through.objects.filter(project_id__in=ids).values_list("id", "project_id", column, Subquery(created[:1]))
        _insert_select(
            apps.get_model("projects", f"HistoricalProject_{name}"), ["id", "project_id", column, "history_id"], rows
        )


def _history_from(model, rows, actor, now) -> None:
    """One "+" history row for each of `rows` (a queryset of `model`), by `actor` at `now`."""
    history = model.history.model
    columns = [field.attname for field in history.tracked_fields]
    extra = {
        "history_date": Value(now, output_field=DateTimeField()),
        "history_change_reason": Value(None, output_field=CharField()),
        "history_type": Value("+", output_field=CharField()),
        "history_user_id": Value(actor.pk, output_field=BigIntegerField()),
    }
    selected = rows.values_list(*columns, *extra.values())
    _insert_select(history, [*columns, *extra], selected)


def _insert_select(model, columns, queryset) -> None:
    sql, params = queryset.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    target = f"{quote(model._meta.db_table)} ({names})"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {target} {sql}", params)  # table and columns from the models


# --- No-change detection ---------------------------------------------------------------


def is_unchanged(project: Project, item: Upsert, *, loaded: bool = False) -> bool:
    """True when writing `item` would leave `project` exactly as it is (so nothing is written).

    `loaded`: the project's tags, themes and SDGs are already on it (`_current_content`)."""
    for name, wanted in item.fields.items():
        if name == "lead_organization":
            if project.lead_organization_id != (wanted.pk if wanted is not None else None):
                return False
        elif getattr(project, name) != wanted:
            return False
    if item.article_tags is not None:
        wanted_tags = {(tag.article.pk, tag.is_primary, tag.note) for tag in item.article_tags}
        if len(wanted_tags) != len(item.article_tags):
            return False  # duplicates: let the service report them
        current = (
            project.loaded_tags
            if loaded
            else set(project.article_links.values_list("article_id", "is_primary", "note"))
        )
        if current != wanted_tags:
            return False
    if item.theme_names is not None:
        current = (
            project.loaded_themes
            if loaded
            else {name.casefold() for name in project.themes.values_list("name", flat=True)}
        )
        if current != {name.casefold() for name in clean_theme_names(item.theme_names)}:
            return False
    if item.sdg_numbers is None:
        return True
    current = project.loaded_sdgs if loaded else set(project.sdgs.values_list("number", flat=True))
    return current == set(item.sdg_numbers)


def clean_theme_names(names: list[str]) -> list[str]:
    """Theme names as the editing service stores them: spaces collapsed, cut to 80, no duplicates."""
    cleaned, seen = [], set()
    for name in names:
        name = " ".join(name.split())[:80]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            cleaned.append(name)
    return cleaned
