#!/usr/bin/env python3
"""Verify a published log (`ledger publish DIR`, the C2SP tlog-tiles layout) from docs/FORMAT.md
alone, with Python's hashlib: an independent RFC 6962 implementation sharing no code with the
ledger.

Reads DIR/checkpoint, then every entry bundle and hash tile a tree of its size is served as:
each entry bundle holds exactly its entries (big-endian uint16 lengths), each level-0 tile holds
SHA-256(0x00 || entry) of its bundle's entries, each tile of level L > 0 holds the roots of the
full tiles of level L - 1 below it, partial tiles included, and the root of all the leaves is the
checkpoint's. With the `blake3` package it also checks every entry as tools/verify_bundle.py
checks a bundle line (canonical form, hash, seq and prev link). The checkpoint's signature and
cosignatures are not checked: `ledger verify --checkpoint DIR/checkpoint --key ... --witness ...`.

Exit status: 0 if the log verifies, 1 (with the reason) if not, 2 on a usage error.
"""
import argparse
import base64
import hashlib
import os
import sys

WIDTH = 256


class Refused(Exception):
    """The published log breaks a rule of docs/FORMAT.md."""


def encode_index(n):
    """N in 3-digit groups, all but the last prefixed by x: 1234067 is x001/x234/067."""
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join(("x%03d" if i < len(groups) - 1 else "%03d") % g for i, g in enumerate(groups))


def tile_path(level, index, width):
    path = f"tile/{level}/{encode_index(index)}"
    return path + (f".p/{width}" if width < WIDTH else "")


def read(root, path):
    try:
        with open(os.path.join(root, path), "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise Refused(f"{path} is missing") from None


def mth(leaves):
    """RFC 6962 2.1: the Merkle tree hash of a list of leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def entries_of(bundle, width, path):
    out, at = [], 0
    for i in range(width):
        if at + 2 > len(bundle):
            raise Refused(f"{path}: truncated in entry {i} of {width}")
        n = int.from_bytes(bundle[at:at + 2], "big")
        if at + 2 + n > len(bundle):
            raise Refused(f"{path}: truncated in entry {i} of {width}")
        out.append(bundle[at + 2:at + 2 + n])
        at += 2 + n
    if at != len(bundle):
        raise Refused(f"{path}: {len(bundle) - at} bytes after its {width} entries")
    return out


def verify(root, chain):
    note = read(root, "checkpoint").decode("utf-8")
    lines = note.split("\n\n", 1)[0].split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise Refused("checkpoint: not a checkpoint")
    size = int(lines[1])
    stated = base64.b64decode(lines[2], validate=True)
    if size == 0:
        raise Refused("checkpoint: an empty log")
    leaves, events = [], None
    if chain:
        import importlib.util

        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "verify_bundle.py")
        spec = importlib.util.spec_from_file_location("verify_bundle", here)
        events = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(events)
    prev = "0" * 64
    for index in range((size + WIDTH - 1) // WIDTH):
        width = min(WIDTH, size - index * WIDTH)
        path = f"tile/entries/{encode_index(index)}" + (f".p/{width}" if width < WIDTH else "")
        entries = entries_of(read(root, path), width, path)
        tile_leaves = [hashlib.sha256(b"\x00" + e).digest() for e in entries]
        tpath = tile_path(0, index, width)
        if read(root, tpath) != b"".join(tile_leaves):
            raise Refused(f"{tpath} is not the leaves of {path}")
        leaves.extend(tile_leaves)
        if events is not None:
            for i, entry in enumerate(entries):
                seq = index * WIDTH + i
                try:
                    obj = events.check_line(seq + 1, entry)
                except events.Refused as e:
                    raise Refused(f"{path}: event {seq}: {e}") from None
                if obj.get("seq") != seq or obj.get("prev") != prev or obj.get("hash") != events.event_hash(obj):
                    raise Refused(f"{path}: event {seq}: its seq, prev link or hash does not hold")
                prev = obj["hash"]
    # Each level from the one below: tile L holds the roots of the full tiles of level L - 1.
    level, below = 1, leaves
    while len(below) >= WIDTH:
        hashes = [mth(below[i:i + WIDTH]) for i in range(0, len(below) - WIDTH + 1, WIDTH)]
        for index in range((len(hashes) + WIDTH - 1) // WIDTH):
            part = hashes[index * WIDTH:(index + 1) * WIDTH]
            tpath = tile_path(level, index, len(part))
            if read(root, tpath) != b"".join(part):
                raise Refused(f"{tpath} is not the roots of the tiles of level {level - 1} below it")
        level, below = level + 1, hashes
    root_hash = mth(leaves)
    if root_hash != stated:
        raise Refused(f"the entries make the root {root_hash.hex()}; the checkpoint says {stated.hex()}")
    return size, root_hash


def main():
    parser = argparse.ArgumentParser(
        description="Verify a published log (`ledger publish DIR`) with an independent RFC 6962 implementation.",
        epilog="Exit status: 0 if it verifies, 1 (with the reason) if not. Signatures are not checked.",
    )
    parser.add_argument("dir", help="the published directory")
    args = parser.parse_args()
    try:
        import blake3  # noqa: F401

        chain = True
    except ImportError:
        chain = False
    try:
        size, root = verify(args.dir, chain)
    except OSError as e:
        print(f"cannot read {args.dir}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    except (Refused, ValueError, UnicodeDecodeError) as e:
        print(f"verification failed: {e}", file=sys.stderr)
        sys.exit(1)
    checked = "entries, tiles and root" + (", and every event's hash and link" if chain else "")
    print(f"ok: {size} entries; root {root.hex()} ({checked}; signatures not checked)")


if __name__ == "__main__":
    main()
