"""A test certificate chain for the embedded run and the tests: a root CA and a C2PA signing
certificate under it, made with `cryptography` the first time a file is signed.

The signing certificate has what C2PA's certificate profile asks of a claim signer: an
end-entity certificate (not a CA), key usage digitalSignature (critical), an extended key
usage C2PA accepts (emailProtection; never anyExtendedKeyUsage), subject and authority key
identifiers, an ECDSA P-256 key (ES256). Manifests signed with it verify, but only a
verifier told to trust this root (the proof page's server check is) calls them trusted:
production needs a chain from a CA on the C2PA trust list (settings refuse to start
without one). Every name in it says "TEST CHAIN".
"""

import datetime
import fcntl
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANISATION = "Terms & Testers TEST CHAIN (not for production)"


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make(
    now: datetime.datetime | None = None, organisation: str = ORGANISATION
) -> tuple[bytes, bytes, bytes]:
    """(signing key PEM, chain PEM: the signing certificate then the root, root PEM).

    `organisation` names both certificates; `make production` on one machine passes its
    own (scripts/production.sh), an operator uses a chain from a CA on the trust list."""
    now = now or datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Terms & Testers test root", organisation))
        .issuer_name(_name("Terms & Testers test root", organisation))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name("Terms & Testers test content credentials", organisation))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    root_pem = root.public_bytes(pem)
    return key_pem, signer.public_bytes(pem) + root_pem, root_pem


def _write(path: Path, data: bytes, mode: int) -> None:
    """Written whole under a temporary name, then renamed: nobody reads half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(data)
    temporary.chmod(mode)
    temporary.replace(path)


def ensure(key_file: str, chain_file: str, root_file: str = "") -> bool:
    """Make the test chain at these paths unless the key and the chain exist; True if made.

    Under a lock on the folder: two processes starting at once make one chain, so the key
    never belongs to another process's certificate."""
    if Path(key_file).is_file() and Path(chain_file).is_file():
        return False
    folder = Path(key_file).parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".test-chain.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if Path(key_file).is_file() and Path(chain_file).is_file():
            return False
        key_pem, chain_pem, root_pem = make()
        if root_file:
            _write(Path(root_file), root_pem, 0o644)
        _write(Path(chain_file), chain_pem, 0o644)
        _write(Path(key_file), key_pem, 0o600)
    return True
