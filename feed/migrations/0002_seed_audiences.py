"""The state row, and the current audience of every project older than the feed (the "before"
of its first change). Existing projects reach partners through the full listing, not as changes."""

from django.db import migrations

PUBLIC_STATUSES = ("published", "ongoing", "completed")
SEEING_PARTICIPATIONS = ("active", "invited")


def seed(apps, schema_editor):
    FeedState = apps.get_model("feed", "FeedState")
    FeedScope = apps.get_model("feed", "FeedScope")
    Project = apps.get_model("projects", "Project")
    Participation = apps.get_model("projects", "Participation")
    FeedState.objects.get_or_create(pk=1)
    parties = {}
    for project_id, party_id in Participation.objects.filter(status__in=SEEING_PARTICIPATIONS).values_list(
        "project_id", "party_id"
    ):
        parties.setdefault(project_id, set()).add(party_id)
    scopes = []
    for pk, status, lead in Project.objects.values_list("pk", "status", "lead_party_id").iterator():
        ids = sorted(parties.get(pk, set()) | {lead})
        scopes.append(FeedScope(project_id=pk, public=status in PUBLIC_STATUSES, parties=f",{','.join(map(str, ids))},"))
    FeedScope.objects.bulk_create(scopes, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0001_change_feed"),
        ("projects", "0003_search_trigram_index"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
