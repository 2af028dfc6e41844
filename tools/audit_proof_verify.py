#!/usr/bin/env python3
"""Check a Terms & Testers audit proof without the product: one file, the standard library
and `cryptography` (for Ed25519). It restates RFC 9162 (Merkle tree hashing) and the C2SP
signed-note and tlog-checkpoint formats, so nothing of the instance's code is trusted.

    python audit_proof_verify.py proof PROOF.json --key VERIFIER_KEY
    python audit_proof_verify.py consistency CONSISTENCY.json OLD_CHECKPOINT NEW_CHECKPOINT \
        --key VERIFIER_KEY
    python audit_proof_verify.py checkpoint CHECKPOINT --key VERIFIER_KEY

PROOF.json is the inclusion proof linked from /audit/mine/ (or a data download's event);
CONSISTENCY.json is /audit/consistency/?from=N&to=M; a CHECKPOINT is a signed note as
published on /audit/checkpoints/. VERIFIER_KEY is the `name+keyid+base64` key listed there
(keep your own copy: a key fetched from the same place as the proof proves less). Exit 0
and one line when it holds; exit 1 naming what does not.
"""

import argparse
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Invalid(Exception):
    pass


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        raise Invalid(f"leaf {index} cannot be in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Invalid("the path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Invalid("the path is shorter than the tree is deep")
    return r


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2."""
    if not 0 < first <= second:
        raise Invalid(f"no proof from a tree of {first} to one of {second}")
    if first == second:
        if proof or first_root != second_root:
            raise Invalid("equal sizes need equal roots and an empty proof")
        return
    if not proof:
        raise Invalid("the proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Invalid("the proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise Invalid(f"the tree of {second} does not extend the tree of {first}")


def parse_verifier_key(vkey):
    """A C2SP verifier key `name+hex key id+base64(0x01 || 32-byte Ed25519 key)`."""
    name, key_id, encoded = vkey.strip().split("+", 2)
    raw = base64.b64decode(encoded)
    if raw[:1] != b"\x01" or len(raw) != 33:
        raise Invalid("the verifier key is not an Ed25519 key")
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_id:
        raise Invalid("the verifier key's id does not match its name and key")
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(note, vkey):
    """The text of a C2SP signed note once the key's signature on it verifies."""
    name, key_id, public = parse_verifier_key(vkey)
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise Invalid("not a signed note (no blank line before the signatures)")
    text += "\n"
    for line in signatures.strip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise Invalid("a signature line does not start with an em dash")
        signer, _, encoded = line[2:].rpartition(" ")
        raw = base64.b64decode(encoded)
        if signer == name and raw[:4] == key_id:
            try:
                public.verify(raw[4:], text.encode())
            except InvalidSignature:
                raise Invalid(f"the signature of {name} does not verify") from None
            return text
    raise Invalid(f"{name} did not sign this note")


def read_checkpoint(note, vkey):
    """(origin, size, root) of a signed C2SP tlog-checkpoint."""
    lines = open_note(note, vkey).split("\n")
    if len(lines) < 4:
        raise Invalid("a checkpoint has an origin, a size and a root hash")
    return lines[0], int(lines[1]), base64.b64decode(lines[2])


def check_proof(doc, vkey):
    leaf = base64.b64decode(doc["leaf"])
    if leaf_hash(leaf).hex() != doc["leaf_hash"]:
        raise Invalid("the leaf's bytes do not hash to leaf_hash")
    path = [bytes.fromhex(p) for p in doc["path"]]
    got = root_from_inclusion(doc["leaf_index"], doc["tree_size"], leaf_hash(leaf), path)
    if got.hex() != doc["root"]:
        raise Invalid("the path does not lead to the root")
    _, size, root = read_checkpoint(doc["checkpoint"], vkey)
    if size != doc["tree_size"] or root != got:
        raise Invalid("the checkpoint is of another tree")
    return f"event at leaf {doc['leaf_index']} is in the signed tree of {size}"


def check_consistency(doc, old_note, new_note, vkey):
    _, first, first_root = read_checkpoint(old_note, vkey)
    _, second, second_root = read_checkpoint(new_note, vkey)
    if (doc["from"], doc["to"]) != (first, second):
        raise Invalid("the proof is between other sizes than the checkpoints")
    verify_consistency(
        first, second, first_root, second_root, [bytes.fromhex(p) for p in doc["path"]]
    )
    return f"the signed tree of {second} extends the signed tree of {first}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["proof", "consistency", "checkpoint"])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--key", required=True, help="the verifier key (name+id+base64)")
    args = parser.parse_args(argv)
    texts = []
    for name in args.files:
        with open(name, encoding="utf-8") as handle:
            texts.append(handle.read())
    try:
        if args.what == "proof":
            message = check_proof(json.loads(texts[0]), args.key)
        elif args.what == "consistency":
            message = check_consistency(json.loads(texts[0]), texts[1], texts[2], args.key)
        else:
            origin, size, _ = read_checkpoint(texts[0], args.key)
            message = f"checkpoint of {origin} at size {size} is signed"
    except (Invalid, KeyError, ValueError, IndexError) as exc:
        print(f"INVALID: {exc}")
        return 1
    print(f"OK: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
