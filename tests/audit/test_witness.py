"""A witness cosigns only a checkpoint that extends the last one it saw; the instance
publishes its cosignatures, and audit_verify holds the log against them."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import checkpoints, witness
from audit.models import AuditCosignature
from audit.services import record
from audit.tasks import sequence
from tests.audit.tamper import sql
from tests.audit.test_log import _cut_back


@pytest.fixture
def instance(client, monkeypatch):
    """The witness reaches the instance through the test client."""

    def fetch(url):
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, response.content
        return response.json()

    def post(url, doc):
        response = client.post(
            url.removeprefix("http://testserver"), doc, content_type="application/json"
        )
        assert response.status_code == 201, response.content
        return response.json()

    monkeypatch.setattr(witness, "fetch_json", fetch)
    monkeypatch.setattr(witness, "post_json", post)


@pytest.fixture
def witness_key(tmp_path, settings):
    private = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key_file = tmp_path / "witness.key"
    key_file.write_text(base64.b64encode(raw).decode())
    settings.AUDIT_WITNESS_KEYS = [
        witness.verifier_key("testers.example/witness", private.public_key())
    ]
    return key_file


def _witness(key_file, tmp_path):
    call_command(
        "audit_witness",
        "http://testserver",
        "--name",
        "testers.example/witness",
        "--key-file",
        str(key_file),
        "--log-key",
        checkpoints.verifier_keys()[0]["verifier_key"],
        "--state",
        str(tmp_path / "state"),
    )


def _events(n, start=0):
    for i in range(start, start + n):
        record(action="tests.thing", data={"i": i})


def test_a_witness_cosigns_consistent_checkpoints_and_the_instance_publishes_them(
    db, client, instance, witness_key, tmp_path
):
    _events(5)
    sequence()
    _witness(witness_key, tmp_path)
    _events(4, start=10)
    sequence()
    _witness(witness_key, tmp_path)
    assert sorted(AuditCosignature.objects.values_list("size", flat=True)) == [5, 9]
    listed = client.get("/audit/checkpoints/?format=json").json()["checkpoints"][0]
    assert listed["size"] == 9 and len(listed["cosignatures"]) == 1
    call_command("audit_verify")


def test_a_witness_refuses_an_inconsistent_checkpoint(db, client, instance, witness_key, tmp_path):
    _events(6)
    sequence()
    _witness(witness_key, tmp_path)
    # The operator rolls the log back to 4 events and grows it again to 8, other events.
    _cut_back(4)
    sql("DELETE FROM audit_auditcosignature")
    for f in checkpoints.directory().glob("*.checkpoint"):
        f.unlink()
    sql("DELETE FROM audit_auditcheckpoint")
    _events(4, start=100)
    sequence()
    with pytest.raises(CommandError, match="Not cosigning: inconsistent: the tree of 8 does not"):
        _witness(witness_key, tmp_path)


def test_a_log_cut_back_behind_a_cosigned_checkpoint_fails_and_the_witness_refuses_it(
    db, client, instance, witness_key, tmp_path
):
    _events(4)
    sequence()
    _events(2, start=10)
    sequence()
    _witness(witness_key, tmp_path)  # cosigns the checkpoint of 6
    _cut_back(4)
    for f in checkpoints.directory().glob("*.checkpoint"):
        if not f.name.endswith("000004.checkpoint"):
            f.unlink()
    with pytest.raises(CommandError, match="cut back: the witness testers.example/witness"):
        call_command("audit_verify")  # the database is behind a cosigned checkpoint
    with pytest.raises(CommandError, match="Not cosigning: rolled back: the newest checkpoint"):
        _witness(witness_key, tmp_path)


def test_a_cosignature_by_an_unknown_witness_is_refused(db, client, settings):
    _events(2)
    sequence()
    note = checkpoints.latest().note
    text = note.rpartition("\n\n")[0] + "\n"
    stranger = witness.cosign(text, "stranger", Ed25519PrivateKey.generate())
    response = client.post(
        "/audit/cosignatures/",
        {"size": 2, "cosignature": stranger},
        content_type="application/json",
    )
    assert response.status_code == 400 and not AuditCosignature.objects.exists()
