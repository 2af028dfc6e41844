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
    assert "This page is for programme staff." in page
    assert 'href="/portal/"' in page and 'aria-label="Main"' in page
