"""`Idempotency-Key` for every POST under /api/v1/ (draft-ietf-httpapi-idempotency-key-header).

For an identified caller (a valid API key, else a signed-in user), the first request with a key
inserts an in-flight `IdempotencyRecord` in its own committed transaction; the unique constraint
on (caller, key) makes that the lock. Then:

- a retry with the same method, path and body gets the stored answer (`Idempotent-Replayed: true`)
  and creates nothing;
- the same key with a different request is refused with 422;
- a request whose key is still in flight is refused with 409 (retry later);
- answers of 5xx and 429 are not kept (the request did not take effect), so a retry runs again.

Keys are kept `API_IDEMPOTENCY_TTL` seconds (at least 24 hours), then pruned by
`registry.tasks.prune_idempotency_records_task`. An in-flight row older than
`API_IDEMPOTENCY_LOCK_SECONDS` is taken to be abandoned (its process died) and taken over.
Requests without the header, or from callers who are not identified, pass through untouched.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import IdempotencyRecord, IdempotencyState, PartnerKey

from .problems import PROBLEM_CONTENT_TYPE, problem_response

HEADER = "Idempotency-Key"
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Upsert-Result")
NOT_KEPT_STATUSES = {429}


def caller_of(request) -> str | None:
    """`key:<prefix>` for a valid API key, `user:<id>` for a session, None otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Api-Key "):
        try:
            key = PartnerKey.objects.get_from_key(header[len("Api-Key ") :].strip())
        except PartnerKey.DoesNotExist:
            return None
        return None if key.revoked or key.has_expired else f"key:{key.prefix}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def fingerprint_of(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        if not key.strip() or len(key) > 255 or not key.isprintable():
            return problem_response(request, 400, _("An Idempotency-Key has 1 to 255 printable characters."))
        caller = caller_of(request)
        if caller is None:
            return self.get_response(request)  # refused by authentication; nothing to remember
        fingerprint = fingerprint_of(request)
        record, answer = _claim(request, caller, key, fingerprint)
        if answer is not None:
            return answer
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        _remember(record, response)
        return response


def _claim(request, caller, key, fingerprint):
    """(the new in-flight record, None) or (None, the answer to send instead of running)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    caller=caller, key=key, fingerprint=fingerprint, state=IdempotencyState.IN_FLIGHT
                )
            return record, None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(caller=caller, key=key).first()
        if existing is None or _expired(existing):
            if existing is not None:
                IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue  # gone or abandoned in the meantime: try to claim it again
        if existing.fingerprint != fingerprint:
            detail = _("This Idempotency-Key was used for a different request.")
            return None, problem_response(request, 422, detail)
        if existing.state == IdempotencyState.IN_FLIGHT:
            answer = problem_response(request, 409, _("A request with this Idempotency-Key is still in progress."))
            answer["Retry-After"] = "1"
            return None, answer
        return None, _replay(existing)
    return None, problem_response(request, 409, _("A request with this Idempotency-Key is still in progress."))


def _expired(record) -> bool:
    now = timezone.now()
    if record.state == IdempotencyState.IN_FLIGHT:
        return record.created_at < now - timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS)
    return record.created_at < now - timedelta(seconds=settings.API_IDEMPOTENCY_TTL)


def _remember(record, response) -> None:
    if response.status_code >= 500 or response.status_code in NOT_KEPT_STATUSES or response.streaming:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyState.DONE, status_code=response.status_code, headers=headers, body=response.content
    )


def _replay(record) -> HttpResponse:
    headers = dict(record.headers)
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=headers.pop("Content-Type", PROBLEM_CONTENT_TYPE)
    )
    for name, value in headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_records_prune(*, now=None) -> int:
    """Delete records older than the retention period (and abandoned in-flight ones); returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.API_IDEMPOTENCY_TTL)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
