"""Every page of the product, as every persona, at desk (1280 px) and phone (390 px) width.

On the demo data (what people see after `make run`), each persona visits every HTML page
its role may open (taken from the authorization matrix's rules, so a new page is visited
without anyone remembering it), plus the account pages. Each page must:

- answer without a server error;
- not scroll sideways: wide tables scroll inside their own box;
- have no serious or critical axe-core violation. axe-core comes from the npm registry
  (`package.json`, installed by `npm ci`) and is loaded from `node_modules/`, never a CDN.

Screenshots of the main pages at both widths go to `var/screenshots/`.

Figure: pages visited, sideways scrolls, serious/critical violations.
"""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import ROOT, summarise
from tests.security.test_authorization_matrix import RULES, _named_routes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
SHOTS = ROOT / "var" / "screenshots"

# GET routes that answer with a file or JSON, not a page a person reads.
NOT_PAGES = {
    "healthz",
    "healthz_ready",
    "metrics",
    "session_check",
    "transparency:figures_json",
    "transparency:figures_csv",
    "approvals:file",
    "approvals:preview",
    "approvals:thumbnail",
    "approvals:verify",
    "feedback:attachment",
    "feedback:similar",
    "compensation:entries_csv",
    "staff:programme_audit_csv",
    "compensation:batch_download",
    "compensation:tax_document",
    "compensation:statement_csv",
    "portal:my_data",
    "provenance:registry",
    "provenance:summary_json",
    "provenance:schema",
    "provenance:tdmrep",
    "provenance:tdm_policy",
    "provenance:signed_file",
    "audit:receipt",
    "audit:consistency",
}
# The JSON API and its docs (Swagger UI is a third-party page); its one page is the tokens'.
API_PAGES = {"api:tokens"}
ACCOUNT_PAGES = {
    "anonymous": ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"],
    "signed_in": [
        "/accounts/email/",
        "/accounts/time-zone/",
        "/accounts/password/change/",
        "/accounts/2fa/",
    ],
}
# The demo people standing for the personas of the authorization matrix.
PERSONAS = {
    "anonymous": None,
    "participant": "participant@example.com",
    # Another tester of the same programmes: sees none of the first one's records.
    "participant2": "participant2@example.com",
    "reviewer": "reviewer@example.com",
    "finance": "finance@example.com",
    "manager": "manager@example.com",
}
MAIN_PAGES = {
    ("participant", "portal:home"),
    ("participant", "labour:mine"),
    ("reviewer", "approvals:queue"),
    ("reviewer", "feedback:triage"),
    ("finance", "compensation:entries"),
    ("manager", "programs:staff_terms_edit"),
    ("anonymous", "transparency:detail"),
}


def _world():
    """The demo data, plus the few records the demo has none of (a draft, an invitation)."""
    import demo
    from participants.services import invitations_create
    from programs import services as programme_services
    from programs.models import Programme

    demo.seed()
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(email=PERSONAS["manager"])
    programme = Programme.objects.filter(status=Programme.Status.RUNNING).order_by("pk").first()
    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    invitation = invitations_create(
        actor=manager, programme=programme, emails=["browser-invitee@example.com"]
    )[0]
    return {"programme": programme, "draft": draft, "invitation": invitation}


def _object_id(name, user, programme):
    """The first record of `programme` this person may open on the page `name`."""
    from approvals.models import OutputSubmission, ReasonCode
    from audit.models import AuditEvent
    from compensation.models import LedgerEntry, PayoutBatch, PayoutLine
    from feedback.models import Ticket
    from labour.models import TimeEntry
    from participants.models import Consent, Participation
    from publicity.models import Competition, CompetitionEntry, PromotionalUse
    from recourse.models import Contest

    owner_pages = {
        "approvals:output": OutputSubmission.objects.filter(participant=user),
        "approvals:resubmit": OutputSubmission.objects.filter(
            participant=user, status=OutputSubmission.Status.CHANGES_REQUESTED
        ),
        "labour:edit": TimeEntry.objects.filter(user=user, status=TimeEntry.Status.LOGGED),
        "recourse:new_ticket": Ticket.objects.filter(reporter=user, status__in=Ticket.CONTESTABLE),
        "recourse:new_hours": TimeEntry.objects.filter(user=user, status=TimeEntry.Status.DISPUTED),
        "recourse:new_result": CompetitionEntry.objects.filter(
            entrant=user, competition__status="published", prize_rank__isnull=True
        ),
        "recourse:new_fee": PromotionalUse.objects.filter(
            participant=user, status__in=PromotionalUse.IN_USE
        ),
        "recourse:new_pay": LedgerEntry.objects.filter(
            participation__user=user, reversals__created_by__isnull=False
        ),
        "recourse:new_award": Consent.objects.filter(
            participation__user=user, terms_version__pay_model__in=Contest.AWARDING
        ),
        "recourse:new_line": PayoutLine.objects.filter(
            participation__user=user, state__in=PayoutLine.TAKEN_OUT
        ),
        # An event about this person, sealed (the demo's seeding ends with the sequencer).
        "audit:proof": AuditEvent.objects.filter(subject=user, seq__isnull=False),
    }
    staff_pages = {
        "approvals:detail": OutputSubmission.objects.restrict(user, "review"),
        "feedback:detail": Ticket.objects.restrict(user),
        "compensation:entry": LedgerEntry.objects.restrict(user),
        "compensation:batch": PayoutBatch.objects.restrict(user),
        # The tax status page of a payee of a programme this person is finance of.
        "compensation:tax_status": Participation.objects.filter(
            programme__roles__user=user, programme__roles__role="finance"
        ).exclude(user=user),
        "approvals:reasons": ReasonCode.objects.restrict(user),
        "publicity:use_request": OutputSubmission.objects.restrict(user, "promote").filter(
            status__in=OutputSubmission.APPROVED_STATES
        ),
        "publicity:competition": Competition.objects.all(),  # public
        "recourse:detail": Contest.objects.restrict(user),  # the tester's own, or staff's
    }
    if name == "feedback:detail" and Ticket.objects.filter(reporter=user).exists():
        qs = Ticket.objects.filter(reporter=user)
    else:
        qs = owner_pages.get(name, staff_pages.get(name))
    if qs is None:
        raise AssertionError(f"No record for the page {name}; teach _object_id about it")
    field = {
        PayoutBatch: "programmes",
        CompetitionEntry: "competition__programme",
        PayoutLine: "participation__programme",
        Consent: "participation__programme",
    }.get(qs.model, "programme")
    row = qs.filter(**{field: programme}).order_by("pk").first() or qs.order_by("pk").first()
    return row.pk if row else None


def _pages(persona, user, world):
    """(label, url) of every page this persona may open, one record per object page."""
    programme = world["programme"]
    pages = []
    for name, pattern in _named_routes():
        if name not in RULES or name in NOT_PAGES:
            continue
        if name.startswith("api:") and name not in API_PAGES:
            continue
        method, allowed = RULES[name]
        if method != "GET" or persona not in allowed:
            continue
        kwargs = {}
        for key in pattern.pattern.converters:
            if key == "slug":
                kwargs[key] = programme.slug
            elif key == "number":
                kwargs[key] = world["draft"].number if name.endswith("_edit") else 1
            elif key == "token":
                kwargs[key] = world["invitation"].plain_token
            elif key == "pk":
                kwargs[key] = _object_id(name, user, programme)
        if None in kwargs.values():
            continue  # the demo has no such record for this person
        pages.append((name, reverse(name, kwargs=kwargs)))
    accounts = ACCOUNT_PAGES["anonymous" if user is None else "signed_in"]
    pages += [(f"account {url}", url) for url in accounts]
    return pages


def _session_cookie(user, live_server):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    return [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
               v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""
OVERFLOW = """() => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= doc.clientWidth) return null;
  // Name the widest elements, so the failure says what pushes the page.
  const wide = [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1)
    .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
  return `${doc.scrollWidth} px wide in ${doc.clientWidth} px: ${wide.join(', ')}`;
}"""


# The links a person can see on the page (at this width), as written in the page.
VISIBLE_LINKS = """() => [...document.querySelectorAll('a[href]')]
  .filter(a => a.getClientRects().length > 0)
  .map(a => a.getAttribute('href'))"""


def _followable(href: str) -> bool:
    """A link to a page of this site that following proves something about (not signing out,
    not a file, not the admin or the API)."""
    skip = ("/accounts/logout/", "/admin/", "/api/", "/static/", "/media/")
    return href.startswith("/") and not href.startswith(("//", *skip))


def _refused_links(persona, user, links) -> list[str]:
    """Each link shown to `persona` requested as them: none may answer 403."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return [
        f"{persona}: a page shows a link to {href}, which answers 403"
        for href in sorted(links)
        if client.get(href.split("#")[0]).status_code == 403
    ]


def test_every_page_fits_the_screen_and_passes_axe_as_every_persona(live_server, browser, settings):
    from django.contrib.auth import get_user_model

    assert AXE.exists(), "axe-core is missing: run `npm ci` (make test does)"
    settings.REQUIRE_STAFF_MFA = False  # two-factor has its own browser and page tests
    world = _world()
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems, visited = [], 0
    links_shown = 0
    for persona, email in PERSONAS.items():
        user = get_user_model().objects.get(email=email) if email else None
        pages = _pages(persona, user, world)
        shown: set[str] = set()
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.add_init_script(path=str(AXE))
            if user is not None:
                context.add_cookies(_session_cookie(user, live_server))
            page = context.new_page()
            page.set_default_timeout(15000)
            for label, url in pages:
                response = page.goto(live_server.url + url)
                visited += 1
                where = f"{persona} {width}px {url}"
                if response.status >= 500:
                    problems.append(f"{where}: answered {response.status}")
                    continue
                overflow = page.evaluate(OVERFLOW)
                if overflow:
                    problems.append(f"{where}: scrolls sideways, {overflow}")
                for violation in page.evaluate(AXE_RUN):
                    problems.append(f"{where}: {violation}")
                shown |= {href for href in page.evaluate(VISIBLE_LINKS) if _followable(href)}
                if (persona, label) in MAIN_PAGES:
                    shot = SHOTS / f"{label.replace(':', '-')}-{persona}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
            context.close()
        problems += _refused_links(persona, user, shown - {url for _, url in pages})
        links_shown += len(shown)
    print(f"FIGURE every page: {visited} visits (6 personas × 2 widths), {len(problems)} problems")
    print(f"FIGURE every page: {links_shown} links shown at 1280 or 390 px followed, none refused")
    summarise(pairs=visited)
    assert problems == [], "\n".join(problems)


def test_every_page_route_is_visited_or_named_as_not_a_page():
    """A new GET page either gets visited above or is named here as a file or JSON."""
    gets = {name for name, (method, _) in RULES.items() if method == "GET"}
    stale = NOT_PAGES - gets
    assert stale == set(), f"NOT_PAGES names routes that are no GET routes: {stale}"
    assert Path(AXE).name == "axe.min.js"
