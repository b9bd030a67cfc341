"""Tracking a running project: milestones, progress reports, documents and review comments."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from feed.services import change_record
from notifications import events

from ..models import Document, Indicator, Milestone, ProgressReport, Project, ReviewComment

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# Extension → the signature its first bytes must carry (Office and OpenDocument files are ZIP).
DOCUMENT_SIGNATURES = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".odp": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ppt": (b"\xd0\xcf\x11\xe0",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".webp": (b"RIFF",),
}


OOXML = "application/vnd.openxmlformats-officedocument"
DOCUMENT_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": f"{OOXML}.wordprocessingml.document",
    ".xlsx": f"{OOXML}.spreadsheetml.sheet",
    ".pptx": f"{OOXML}.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


@transaction.atomic
def milestone_save(
    *, project: Project, actor, title: str, due_on: date, done_on: date | None = None, milestone=None
) -> Milestone:
    if not (actor.has_perm("projects.track_project", project) or actor.has_perm("projects.change_project", project)):
        raise PermissionDenied
    if milestone is not None and milestone.project_id != project.pk:
        raise PermissionDenied
    milestone = milestone or Milestone(project=project)
    milestone.title, milestone.due_on, milestone.done_on = title.strip(), due_on, done_on
    milestone.full_clean()
    milestone.save()
    change_record(project_id=project.pk)  # reporting health is part of what partners see
    return milestone


@transaction.atomic
def milestone_delete(*, project: Project, actor, milestone: Milestone) -> None:
    if milestone.project_id != project.pk or not (
        actor.has_perm("projects.track_project", project) or actor.has_perm("projects.change_project", project)
    ):
        raise PermissionDenied
    milestone.delete()
    change_record(project_id=project.pk)


@transaction.atomic
def progress_report_add(
    *,
    project: Project,
    actor,
    period_start: date,
    period_end: date,
    narrative: str,
    percent_complete: int,
    language: str,
    indicators: list[dict] | None = None,
) -> ProgressReport:
    """A participating party reports on its part of a published or ongoing project."""
    if not actor.has_perm("projects.report_progress", project):
        raise PermissionDenied
    party_id = actor.party_id or project.lead_party_id  # a coordinator reports for the lead party
    report = ProgressReport(
        project=project,
        party_id=party_id,
        author=actor,
        period_start=period_start,
        period_end=period_end,
        narrative=narrative.strip(),
        percent_complete=percent_complete,
        language=language,
    )
    errors = {}
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = [_("The end of the period cannot be before its start.")]
    try:
        report.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    report.save()
    for item in indicators or []:
        Indicator.objects.create(
            report=report,
            name=item["name"],
            unit=item.get("unit", ""),
            baseline=_decimal(item.get("baseline")),
            target=_decimal(item.get("target")),
            actual=_decimal(item.get("actual")),
        )
    change_record(project_id=project.pk)
    return report


def _decimal(value):
    return None if value in (None, "") else Decimal(str(value))


def document_check(upload) -> None:
    """Refuse files that are too large, of another type, or whose content does not match their name."""
    extension = Path(upload.name).suffix.lower()
    if extension not in DOCUMENT_SIGNATURES:
        raise ValidationError(
            {"file": [_("Upload a PDF, an Office or OpenDocument file, or an image (PNG, JPEG, WebP).")]}
        )
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"file": [_("The file is larger than 20 MB.")]})
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(DOCUMENT_SIGNATURES[extension]):
        raise ValidationError({"file": [_("The file's content does not match its type.")]})


@transaction.atomic
def document_add(*, project: Project, actor, upload, title: str, restricted: bool) -> Document:
    if not (actor.has_perm("projects.track_project", project) or actor.has_perm("projects.change_project", project)):
        raise PermissionDenied
    document_check(upload)
    document = Document(
        project=project,
        title=(title or Path(upload.name).stem).strip()[:200],
        restricted=restricted,
        uploaded_by=actor,
        # From the checked extension, never from the browser's claim (files are served back with it).
        content_type=DOCUMENT_CONTENT_TYPES[Path(upload.name).suffix.lower()],
        size=upload.size,
    )
    document.file.save(Path(upload.name).name, upload, save=False)
    document.save()
    return document


@transaction.atomic
def review_comment_add(*, project: Project, actor, text: str) -> ReviewComment:
    if not actor.has_perm("projects.comment_project", project):
        raise PermissionDenied
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Write a comment.")]})
    comment = ReviewComment.objects.create(project=project, author=actor, text=text)
    events.record(events.EventKind.REVIEW_COMMENT, project=project, actor=actor, payload={"comment": comment.pk})
    return comment
