"""RFC 9162 hashing against published test vectors.

The leaves, roots and proofs below are the ones of transparency-dev/merkle's
`proof/verify_test.go` (the vectors Certificate Transparency's Go code has always been tested
with): eight leaves of 0 to 16 bytes, the tree heads of the first 1 to 8 of them, and
inclusion and consistency proofs between those trees.
"""

import hashlib
import random

import pytest

from audit import merkle

LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf number counted from 1, tree size, path)
INCLUSION = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


def test_the_empty_tree_hashes_to_sha256_of_nothing():
    assert merkle.root_of([]).hex() == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("size", range(1, 9))
def test_tree_heads_match_the_published_roots(size):
    assert merkle.root_of(HASHES[:size]).hex() == ROOTS[size - 1]
    compact = merkle.CompactRange()
    for h in HASHES[:size]:
        compact.append(h)
    assert compact.root().hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_paths_match_the_published_ones_and_verify(leaf, size, path):
    made = merkle.inclusion_path(leaf - 1, size, merkle.list_subtree(HASHES[:size]))
    assert [p.hex() for p in made] == path
    root = bytes.fromhex(ROOTS[size - 1])
    merkle.verify_inclusion(leaf - 1, size, HASHES[leaf - 1], made, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf % size, size, HASHES[leaf - 1], made, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(leaf - 1, size, HASHES[leaf - 1], made[:-1], root)
    if made:
        flipped = [bytes([made[0][0] ^ 8]) + made[0][1:], *made[1:]]
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(leaf - 1, size, HASHES[leaf - 1], flipped, root)


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_published_ones_and_verify(first, second, proof):
    made = merkle.consistency_proof(first, second, merkle.list_subtree(HASHES[:second]))
    assert [p.hex() for p in made] == proof
    r1, r2 = bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1])
    merkle.verify_consistency(first, second, r1, r2, made)
    for wrong in [(first, second, r2, r1, made), (first, second, r1, r2, made[:-1])]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*wrong)


def test_every_proof_of_a_random_tree_verifies_and_the_compact_range_names_its_nodes():
    leaves = [merkle.leaf_hash(random.randbytes(8)) for _ in range(70)]
    stored = {}
    compact = merkle.CompactRange(on_node=lambda lvl, i, h: stored.__setitem__((lvl, i), h))
    for h in leaves:
        compact.append(h)
    for size in range(1, 71):
        root = merkle.root_of(leaves[:size])
        subtree = merkle.list_subtree(leaves[:size])
        for index in range(size):
            path = merkle.inclusion_path(index, size, subtree)
            merkle.verify_inclusion(index, size, leaves[index], path, root)
        for first in range(0, size + 1):
            proof = merkle.consistency_proof(first, size, subtree)
            merkle.verify_consistency(first, size, merkle.root_of(leaves[:first]), root, proof)
    for (level, index), h in stored.items():
        assert h == merkle.root_of(leaves[index << level : (index + 1) << level])
    right_edge = [stored[n] for n in merkle.CompactRange.nodes_for(70)]
    assert merkle.CompactRange(70, right_edge).root() == merkle.root_of(leaves)
