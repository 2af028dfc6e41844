"""When the stored tree has lost or changed a node, the proof page, the proof and consistency
JSON, the data download and `audit_verify` say the log does not verify; none answers 500."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.merkle import CompactRange
from audit.models import AuditTree, node_key
from audit.services import record
from audit.tasks import sequence
from tests.audit.tamper import sql


@pytest.fixture
def sealed(participant):
    """Eight of the participant's events sealed under a checkpoint of 8."""
    events = [record(action="tests.about.me", subject=participant, data={"i": i}) for i in range(8)]
    sequence()
    return events


def _sibling(event):
    """The leaf node next to the event's: the first hash of its inclusion path."""
    event.refresh_from_db()
    return 0, (event.seq - 1) ^ 1


def _drop(level, index):
    sql("DELETE FROM audit_auditnode WHERE key = %s", [node_key(level, index)])


def _corrupt(level, index):
    sql(
        "UPDATE audit_auditnode SET hash = %s WHERE key = %s",
        [b"\x07" * 32, node_key(level, index)],
    )


@pytest.mark.parametrize("damage", [_drop, _corrupt], ids=["missing", "corrupted"])
def test_the_proof_page_and_json_say_the_log_does_not_verify(client, participant, sealed, damage):
    damage(*_sibling(sealed[0]))
    client.force_login(participant)
    page = client.get(f"/audit/proof/{sealed[0].pk}/")
    assert page.status_code == 503
    html = page.content.decode()
    assert 'id="proof-broken"' in html and "The audit log does not verify here" in html
    assert "Keep your receipt" in html and 'id="proof-check"' not in html
    doc = client.get(f"/audit/proof/{sealed[0].pk}/?format=json")
    assert doc.status_code == 503
    assert doc.json()["verifies"] is False
    assert "does not verify here" in doc.json()["detail"]
    # An event whose path does not touch the damaged node still has its proof.
    assert client.get(f"/audit/proof/{sealed[7].pk}/?format=json").status_code == 200


@pytest.mark.parametrize("damage", [_drop, _corrupt], ids=["missing", "corrupted"])
def test_the_consistency_json_says_the_log_does_not_verify(db, client, damage):
    for i in range(4):
        record(action="tests.thing", data={"i": i})
    sequence()
    for i in range(3):
        record(action="tests.thing", data={"i": 10 + i})
    sequence()  # the tree of 7: the proof from 4 to 7 is MTH(leaves 4-6), from node 1/2
    damage(1, 2)
    response = client.get("/audit/consistency/?from=4&to=7")
    assert response.status_code == 503
    assert response.json()["verifies"] is False
    assert "does not verify here" in response.json()["detail"]
    assert client.get("/audit/consistency/?from=4&to=x").status_code == 400


def test_the_data_download_and_audit_verify_name_a_lost_node(participant, sealed):
    from portal.selectors import my_data  # the download's content, as the portal builds it

    level, index = _sibling(sealed[0])
    _drop(level, index)
    events = my_data(participant)["audit_events_about_me"]
    [proof] = [e["proof"] for e in events if e["event"] == sealed[0].pk]
    assert proof["verifies"] is False and "has no node" in proof["detail"]
    top_level, top_index = CompactRange.nodes_for(AuditTree.objects.get().size)[0]
    _drop(top_level, top_index)  # a node the tree's root is folded from
    with pytest.raises(
        CommandError, match=f"altered: the stored tree has no node {top_level}/{top_index}"
    ):
        call_command("audit_verify")
