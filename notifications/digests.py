"""Digest e-mails: the daily digest of held deliveries, and the coordinators' weekly digest.

Daily: one e-mail per person listing the e-mail deliveries held for the digest (their preference
for those kinds is "daily digest"), then marked sent in the same transaction that held them
locked — a second run, even a concurrent one, finds nothing left to send. Deliveries still held
from an earlier day (a missed run) go into the next digest rather than being dropped.

Weekly: an outbox event (`WEEKLY_DIGEST`) recorded once per ISO week for the coordinators, with
the week's figures for the primary framework (DEGD-2023) in its payload — projects published in
the last 7 days per pillar, and articles that no public project serves yet. It is delivered like
any event, so the coordinators' preferences (immediately / daily digest / off) apply to it too.
"""

import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation

from framework.models import Article, Framework, Pillar
from projects.choices import PUBLIC_STATUSES
from projects.models import Project, ProjectArticle

from .models import Channel, Delivery, DeliveryStatus, EventKind
from .services import describe, email_context, event_record_once, language_of, site_url

logger = logging.getLogger(__name__)
WEEK = timedelta(days=7)
HELD = {"status": DeliveryStatus.DIGEST, "channel": Channel.EMAIL}


def _digest_message(recipient, deliveries) -> EmailMultiAlternatives:
    language = language_of(recipient)
    with translation.override(language):
        items = [
            {
                "message": describe(delivery.event),
                "kind": delivery.event.get_kind_display(),
                "at": delivery.created_at,
                "url": site_url(delivery.event.project.get_absolute_url()) if delivery.event.project else "",
            }
            for delivery in deliveries
        ]
        context = email_context(recipient, items=items, count=len(items))
        folder = f"notifications/email/{language}"
        subject = " ".join(render_to_string(f"{folder}/digest_subject.txt", context).split())
        text = render_to_string(f"{folder}/digest.txt", context)
        html = render_to_string(f"{folder}/digest.html", context)
    message = EmailMultiAlternatives(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    return message


def digest_send(*, user_id: int, until) -> bool:
    """Send one person's digest of everything held for them up to `until`; False when nothing was sent."""
    with transaction.atomic():
        held = list(
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(recipient_id=user_id, created_at__lte=until, **HELD)
            .select_related("recipient", "event__project", "event__participation__party", "event__party")
            .order_by("created_at", "pk")
        )
        if not held:  # another run holds or has sent them
            return False
        recipient, ids = held[0].recipient, [delivery.pk for delivery in held]
        if not recipient.is_active or not recipient.email:
            Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.DEAD, last_error="no active address")
            return False
        try:
            _digest_message(recipient, held).send()
        except Exception as error:  # keep them held: the next run tries again
            logger.warning("The digest of user %s failed: %s", user_id, error)
            Delivery.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, last_error=repr(error)[:2000])
            return False
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
        )
    return True


def daily_digests_send(*, now=None) -> int:
    """Send every daily digest due; the number of e-mails sent."""
    now = now or timezone.now()
    people = Delivery.objects.filter(created_at__lte=now, **HELD).values_list("recipient_id", flat=True)
    return sum(digest_send(user_id=user_id, until=now) for user_id in sorted(set(people)))


def primary_framework():
    return Framework.objects.filter(is_primary=True).first()


def weekly_figures(*, framework, since, until) -> dict:
    """Ids only, so that the e-mail can name everything in each reader's language."""
    new = Project.objects.filter(status__in=PUBLIC_STATUSES, published_at__gte=since, published_at__lt=until)
    links = ProjectArticle.objects.filter(project__in=new, article__framework=framework)
    by_pillar: dict = {}
    for pillar_id, project_id in links.values_list("article__pillar_id", "project_id").distinct():
        by_pillar.setdefault(pillar_id, set()).add(project_id)
    served = ProjectArticle.objects.filter(article=OuterRef("pk"), project__status__in=PUBLIC_STATUSES)
    unserved = Article.objects.filter(framework=framework).exclude(Exists(served)).order_by("number")
    pillars = [
        {"pillar": pillar_id, "projects": sorted(by_pillar.get(pillar_id, ()))}
        for pillar_id in [*framework.pillars.order_by("number").values_list("pk", flat=True), None]
        if pillar_id is not None or by_pillar.get(None)
    ]
    return {
        "framework": framework.code,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "count": new.count(),
        "pillars": pillars,
        "articles_without_projects": list(unserved.values_list("pk", flat=True)),
    }


def weekly_digest_record(*, now=None):
    """Record this ISO week's coordinators' digest, unless recorded already (then None)."""
    now = now or timezone.now()
    framework = primary_framework()
    if framework is None:
        return None
    year, week, _weekday = timezone.localdate(now).isocalendar()
    with transaction.atomic():
        return event_record_once(
            EventKind.WEEKLY_DIGEST,
            dedupe_key=f"{EventKind.WEEKLY_DIGEST}:{framework.code}:{year}-W{week:02d}",
            payload=weekly_figures(framework=framework, since=now - WEEK, until=now),
        )


def weekly_context(event) -> dict:
    """The weekly digest's figures with names in the active language (for its e-mail)."""
    payload = event.payload
    pillar_ids = [row["pillar"] for row in payload.get("pillars", [])]
    project_ids = {pk for row in payload.get("pillars", []) for pk in row["projects"]}
    pillars = Pillar.objects.in_bulk([pk for pk in pillar_ids if pk is not None])
    projects = Project.objects.in_bulk(project_ids)
    rows = [
        {
            "pillar": pillars.get(row["pillar"]),
            "projects": [
                {"title": projects[pk].title, "url": site_url(projects[pk].get_absolute_url())}
                for pk in row["projects"]
                if pk in projects
            ],
        }
        for row in payload.get("pillars", [])
        if row["pillar"] is None or row["pillar"] in pillars
    ]
    articles = Article.objects.filter(pk__in=payload.get("articles_without_projects", [])).order_by("number")
    return {
        "framework_code": payload.get("framework", ""),
        "pillar_rows": rows,
        "articles_without_projects": [
            {"number": article.number, "title": article.title, "url": site_url(article.get_absolute_url())}
            for article in articles.select_related("framework")
        ],
    }
