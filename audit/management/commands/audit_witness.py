import base64
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.core.management.base import BaseCommand, CommandError

from audit import witness


class Command(BaseCommand):
    help = (
        "Witness an instance's audit log: fetch its newest checkpoint from URL, check it is "
        "consistent with the last one this witness cosigned, cosign it (C2SP tlog-cosignature) "
        "and hand the cosignature back to the instance. Refuses, naming why, a checkpoint that "
        "does not extend the last one."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="The instance's address, e.g. https://tt.example.org")
        parser.add_argument("--name", required=True, help="The witness's key name.")
        parser.add_argument(
            "--key-file",
            required=True,
            help="The witness's Ed25519 private key (base64 of 32 bytes); made if missing.",
        )
        parser.add_argument(
            "--log-key", required=True, help="The log's verifier key (name+id+base64)."
        )
        parser.add_argument(
            "--state", required=True, help="Where the witness keeps the last checkpoint it saw."
        )
        parser.add_argument(
            "--no-submit", action="store_true", help="Print the cosignature; do not send it."
        )

    def handle(self, *args, **options):
        key_file = Path(options["key_file"])
        if not key_file.exists():
            raw = Ed25519PrivateKey.generate().private_bytes(
                Encoding.Raw, PrivateFormat.Raw, NoEncryption()
            )
            key_file.write_text(base64.b64encode(raw).decode())
            key_file.chmod(0o600)
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_file.read_text()))
        name = options["name"]
        try:
            size, line = witness.witness(
                options["url"],
                name=name,
                private=private,
                log_key=options["log_key"],
                state=Path(options["state"]),
            )
        except witness.WitnessError as exc:
            raise CommandError(f"Not cosigning: {exc}.") from None
        if not options["no_submit"]:
            witness.post_json(
                options["url"].rstrip("/") + "/audit/cosignatures/",
                {"size": size, "cosignature": line},
            )
        self.stdout.write(f"Cosigned the checkpoint of {size} events: {line}")
        self.stdout.write(
            "This witness's verifier key: " + witness.verifier_key(name, private.public_key())
        )
