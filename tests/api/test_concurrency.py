"""Two writers holding the same ETag, at the same moment: the row lock lets exactly one win."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from tests.api.conftest import partner_key
from tests.factories import draft_project


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_with_one_etag_only_one_wins(transactional_db, officer):
    draft = draft_project(officer=officer)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {partner_key('CHN', 'read_write')}"}
    path = f"/api/v1/projects/{draft.pk}/"
    etag = Client().get(path, **auth)["ETag"]
    barrier, statuses = threading.Barrier(2), []

    def write(title):
        try:
            barrier.wait()
            body = json.dumps({"title": {"en": title}})
            response = Client().patch(path, body, content_type="application/json", HTTP_IF_MATCH=etag, **auth)
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(title,)) for title in ("Writer A", "Writer B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    draft.refresh_from_db()
    assert draft.title_en in {"Writer A", "Writer B"}
