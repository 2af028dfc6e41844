"""Every compensation page × every persona: who gets in, and nobody else (403/404/login)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "participant",
    "participant2",
    "outsider",
    "reviewer",
    "finance",
    "manager",
]
SIGNED_IN = set(PERSONAS) - {"anonymous"}
FINANCE_AND_MANAGER = {"finance", "manager"}


def _allowed(response) -> bool:
    assert response.status_code < 500
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return False
    return response.status_code < 400


def test_only_the_right_people_reach_each_compensation_page(
    client,
    participation,
    participant,
    participant2,
    outsider,
    reviewer,
    finance,
    manager,
    award,
    approve,
    make_batch,
):
    entry = award(participation, "5.00")
    approve(entry)
    batch = make_batch()
    people = locals()
    routes = [
        ("GET", reverse("compensation:home"), FINANCE_AND_MANAGER),
        ("GET", reverse("compensation:entries"), FINANCE_AND_MANAGER),
        ("GET", reverse("compensation:entries_csv"), FINANCE_AND_MANAGER),
        ("GET", reverse("compensation:entry", args=[entry.pk]), FINANCE_AND_MANAGER),
        ("GET", reverse("compensation:award_new"), {"manager"}),
        ("GET", reverse("compensation:batch_new"), {"finance"}),
        ("GET", reverse("compensation:batch", args=[batch.pk]), FINANCE_AND_MANAGER),
        (
            "GET",
            reverse("compensation:batch_download", args=[batch.pk, "csv"]),
            FINANCE_AND_MANAGER,
        ),
        (
            "GET",
            reverse("compensation:batch_download", args=[batch.pk, "xlsx"]),
            FINANCE_AND_MANAGER,
        ),
        ("POST", reverse("compensation:entries_approve"), FINANCE_AND_MANAGER),
        ("POST", reverse("compensation:entry_approve", args=[entry.pk]), FINANCE_AND_MANAGER),
        ("POST", reverse("compensation:accrue_now"), FINANCE_AND_MANAGER),
        ("POST", reverse("compensation:batch_retry", args=[batch.pk]), {"finance"}),
        ("GET", reverse("compensation:statement"), SIGNED_IN),
        ("GET", reverse("compensation:statement_csv"), SIGNED_IN),
    ]
    leaks = []
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(people[persona])
        for method, url, allowed in routes:
            response = client.get(url) if method == "GET" else client.post(url)
            if _allowed(response) != (persona in allowed):
                leaks.append((persona, method, url, response.status_code))
    assert leaks == []
