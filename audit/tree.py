"""The Merkle tree as stored by the sequencer: node hashes by (level, index), and the proofs
served from them (RFC 9162 inclusion paths and consistency proofs, audit.merkle).

A proof at a million events reads a few dozen stored nodes in one query: every range the
RFC's recursion asks for is a run of complete subtrees, each one stored node.
"""

from . import merkle
from .models import AuditNode, node_key


class TreeBroken(merkle.ProofError):
    """The stored tree lost a node a proof needs, or its nodes no longer fold to the root
    that was signed: no proof can be served from it."""


def perfect_parts(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees (level, index) whose hashes make MTH(D[start:end]) for a range
    the recursion visits (its start aligned to its left part), left to right."""
    parts = []
    while start < end:
        n = end - start
        level = n.bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def fold(hashes: list[bytes]) -> bytes:
    """MTH of a range from its complete parts, largest first: fold from the right."""
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = merkle.node_hash(h, r)
    return r


class StoredTree:
    """`subtree(start, end)` over the stored nodes, fetching what a proof needs at once."""

    def __init__(self):
        self.cache: dict[int, bytes] = {}

    def _collect(self, build) -> list[bytes]:
        wanted: list[tuple[int, int]] = []

        def record(start, end):
            wanted.extend(perfect_parts(start, end))
            return b"\0" * 32

        build(record)
        keys = {node_key(level, index) for level, index in wanted} - self.cache.keys()
        if keys:
            for key, h in AuditNode.objects.filter(key__in=keys).values_list("key", "hash"):
                self.cache[key] = bytes(h)
        return build(self.subtree)

    def subtree(self, start: int, end: int) -> bytes:
        hashes = []
        for level, index in perfect_parts(start, end):
            h = self.cache.get(node_key(level, index))
            if h is None:
                raise TreeBroken(f"the stored tree has no node {level}/{index}")
            hashes.append(h)
        return fold(hashes)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._collect(lambda sub: merkle.inclusion_path(index, size, sub))

    def consistency(self, first: int, second: int) -> list[bytes]:
        return self._collect(lambda sub: merkle.consistency_proof(first, second, sub))

    def root(self, size: int) -> bytes:
        if size == 0:
            return merkle.EMPTY_ROOT
        return self._collect(lambda sub: [sub(0, size)])[0]

    def leaf(self, index: int) -> bytes:
        return self._collect(lambda sub: [sub(index, index + 1)])[0]
