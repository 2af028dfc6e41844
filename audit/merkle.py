"""RFC 9162 Merkle tree hashing (section 2.1): tree heads, inclusion paths, consistency
proofs and their verification. Pure standard library; the sequencer, the proof pages and
`audit_verify` all use it, and `tools/audit_proof_verify.py` restates it for people who
want to check without this code.

Hashes are SHA-256 over a one-byte prefix: 0x00 before a leaf's bytes, 0x01 before two
child hashes, so a leaf can never pass for an inner node. Proofs are built from a
`subtree(start, end)` function returning MTH(D[start:end]) for the ranges the RFC's
recursion visits; the sequencer serves those from stored node hashes, tests from a list.
"""

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a request for a proof that cannot exist."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (the empty tree's head is SHA-256 of nothing)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def list_subtree(leaf_hashes: Sequence[bytes]) -> Callable[[int, int], bytes]:
    """A `subtree(start, end)` over an in-memory list of leaf hashes."""
    return lambda start, end: root_of(leaf_hashes[start:end])


def inclusion_path(index: int, size: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start = start + k
    return path[::-1]


def consistency_proof(first: int, second: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 2.1.4.1 (empty when first is 0 or equal)."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(subtree(start, end))
    return proof[::-1]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that `path` proves `leaf` (a leaf hash) into (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if len(p) != 32 or sn == 0:
            raise ProofError("the inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion path is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes):
    if root_from_inclusion(index, size, leaf, path) != root:
        raise ProofError(f"leaf {index} is not in the tree of {size} with that root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
):
    """RFC 9162 2.1.4.2: the tree of `second` leaves extends the tree of `first` leaves."""
    if not 0 <= first <= second:
        raise ProofError(f"a tree of {second} cannot extend a tree of {first}")
    if first == second:
        if proof or first_root != second_root:
            raise ProofError("equal sizes need equal roots and an empty proof")
        return
    if first == 0:
        if proof:
            raise ProofError("a proof from the empty tree is empty")
        return
    if not proof or any(len(p) != 32 for p in proof):
        raise ProofError("the consistency proof is empty or malformed")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError(f"the tree of {second} does not extend the tree of {first}")


class CompactRange:
    """The right edge of a tree of `size` leaves: one hash per complete subtree, largest
    first (the perfect subtrees the size's binary digits name). Appending a leaf merges
    equal-sized subtrees; the root folds them from the right. `on_node(level, index, hash)`
    hears of every complete node made, for the sequencer to store."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = (), on_node=None):
        self.size = size
        self.hashes = list(hashes)
        self.on_node = on_node
        if len(self.hashes) != bin(size).count("1"):
            raise ProofError("a compact range holds one hash per binary digit of its size")

    @staticmethod
    def nodes_for(size: int) -> list[tuple[int, int]]:
        """(level, index) of the complete subtrees on the right edge, largest first."""
        nodes, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                nodes.append((level, start >> level))
                start += 1 << level
        return nodes

    def append(self, leaf: bytes) -> None:
        index = self.size
        if self.on_node:
            self.on_node(0, index, leaf)
        h, level = leaf, 0
        while index >> level & 1:
            h = node_hash(self.hashes.pop(), h)
            level += 1
            if self.on_node:
                self.on_node(level, index >> level, h)
        self.hashes.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        r = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            r = node_hash(h, r)
        return r
