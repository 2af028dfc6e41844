"""The account pages share one menu, and a refusal says why and where to go."""


def test_account_pages_lead_to_email_password_and_two_factor(participant, as_user):
    client = as_user(participant)
    for url in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
        page = client.get(url).content.decode()
        assert 'aria-label="Account"' in page, url
        for target in ("/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"):
            assert f'href="{target}"' in page, (url, target)
    page = client.get("/accounts/password/change/").content.decode()
    assert 'href="/accounts/password/change/" aria-current="page"' in page


def test_a_refused_page_says_the_reason_and_offers_a_way_on(participant, as_user):
    response = as_user(participant).get("/tickets/triage/")
    assert response.status_code == 403
    page = response.content.decode()
    assert (
        "This page is for a programme&#x27;s managers or reviewers; you hold no staff role." in page
    )
    assert 'href="/portal/"' in page and 'aria-label="Main"' in page


def test_a_staff_page_refused_to_staff_names_the_role_it_needs_and_theirs(finance, as_user):
    """Finance opening the reviewers' queue is told which role opens it, not "this page is
    for programme staff"."""
    response = as_user(finance).get("/review/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "for a programme&#x27;s managers or reviewers; your roles are: finance staff." in page
    assert "This page is for programme staff" not in page
