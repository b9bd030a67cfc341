"""Every write to the library goes through these functions (web forms, importer and API alike)."""

from .editing import project_create, project_update, submission_problems
from .lifecycle import TRANSITIONS, allowed_actions, project_transition
from .participation import (
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    participation_withdraw,
)
from .tracking import (
    document_add,
    document_check,
    milestone_delete,
    milestone_save,
    progress_report_add,
    review_comment_add,
)

__all__ = [
    "TRANSITIONS",
    "allowed_actions",
    "document_add",
    "document_check",
    "milestone_delete",
    "milestone_save",
    "participation_confirm",
    "participation_invite",
    "participation_request",
    "participation_respond",
    "participation_withdraw",
    "progress_report_add",
    "project_create",
    "project_transition",
    "project_update",
    "review_comment_add",
    "submission_problems",
]
