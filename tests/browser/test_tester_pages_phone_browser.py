"""In a real browser at 390 px (a phone): every list page of the tester shows its key columns
inside the screen (issue 33): outputs with their status and review clock, hours with the
dispute reason, the statement with earned and paid per hour and where each line stands,
tickets with their status. The rows become cards, as the review queue's do; no sideways
scroll, not even inside a table's own box."""

import pytest
from django.utils import timezone

from approvals import services as approvals
from compensation import services as compensation
from feedback import services as feedback
from labour import services as labour
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 390
# Page: the columns (data-label) that must be on screen, as the tester reads them.
KEY_COLUMNS = {
    "/outputs/": ["Output", "Status", "Review clock"],
    "/hours/": ["Date", "Minutes", "Status"],
    "/statement/": ["Earned per confirmed hour", "Paid per confirmed hour", "Amount", "State"],
    "/tickets/": ["Title", "Status"],
}
OFF_SCREEN = """(labels) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const label of labels) {
    const cells = [...document.querySelectorAll(`td[data-label="${label}"]`)];
    if (!cells.length) { out.push(`${label}: no such column`); continue; }
    for (const cell of cells) {
      const box = cell.getBoundingClientRect();
      if (box.width === 0 || box.left < 0 || box.right > width + 1) {
        out.push(`${label}: ${Math.round(box.left)}–${Math.round(box.right)} px`);
      }
    }
  }
  const scrolls = [...document.querySelectorAll('.table-wrap')]
    .filter((w) => w.scrollWidth > w.clientWidth + 1).length;
  if (scrolls) out.push(`${scrolls} table(s) scroll sideways`);
  if (document.documentElement.scrollWidth > width) out.push('the page scrolls sideways');
  return out;
}"""


def _a_tester_with_a_bit_of_everything(programme, participant, reviewer):
    approvals.submission_create(
        actor=participant,
        programme=programme,
        title="A long title for a film about the harbour at dawn, in the fog",
        intended_use="social",
        url="https://example.org/harbour-at-dawn-in-the-fog.mp4",
    )
    today = timezone.localdate()
    worked = labour.time_entry_log(
        actor=participant, programme=programme, date=today, minutes=90, activity="testing"
    )
    disputed = labour.time_entry_log(
        actor=participant, programme=programme, date=today, minutes=600, activity="testing"
    )
    labour.time_entry_confirm(actor=reviewer, entry=worked)
    labour.time_entry_dispute(
        actor=reviewer, entry=disputed, reason="Ten hours in one day is more than the log shows."
    )
    compensation.accrue_hourly(programme=programme)
    feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="The export button does nothing on the second try",
        description="It does nothing.",
        severity="high",
    )


def test_the_tester_s_pages_show_their_key_columns_on_a_phone(
    live_server, browser, programme, participant, reviewer
):
    _a_tester_with_a_bit_of_everything(programme, participant, reviewer)
    context = browser.new_context(viewport={"width": PHONE, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, live_server, participant.email)
        found = {}
        for path, labels in KEY_COLUMNS.items():
            page.goto(f"{live_server.url}{path}")
            found[path] = page.evaluate(OFF_SCREEN, labels)
        assert found == {path: [] for path in KEY_COLUMNS}, found
        page.goto(f"{live_server.url}/hours/")
        reason = page.locator("td[data-label=Status]", has_text="Ten hours in one day")
        assert reason.is_visible()
        page.goto(f"{live_server.url}/portal/")
        assert page.evaluate("document.documentElement.scrollWidth <= 390")
    finally:
        context.close()
