#!/usr/bin/env python3
"""Verify a ledger bundle from docs/FORMAT.md alone: an independent implementation, sharing no code
with the ledger. Checks every event's hash, seq and prev link, and that the events' Merkle root and
count are those of the bundle's checkpoint. Needs the `blake3` package (pip install blake3).

usage: verify_bundle.py BUNDLE          exit 0 if it verifies, 1 (with a reason) if not
"""
import base64
import json
import sys

import blake3

CONTEXT = "sanctions-designation-ledger v1 event"


def event_hash(event):
    body = {k: v for k, v in event.items() if k != "hash"}
    # RFC 8785: the model has only strings, integers, booleans, nulls, arrays and objects, and no
    # member name mixes characters above U+FFFF with U+E000..U+FFFF, so sorted keys in compact
    # form with UTF-8 output is the canonical form.
    canonical = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return blake3.blake3(canonical, derive_key_context=CONTEXT).hexdigest()


def mth(leaves):
    """RFC 9162 2.1.1 with BLAKE3: leaves are already leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return blake3.blake3(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def verify(path):
    leaves, prev, last_time, checkpoint = [], "0" * 64, "", None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            if checkpoint is not None:
                return f"line {number}: text after the checkpoint"
            try:
                obj = json.loads(line)
            except ValueError as e:
                return f"line {number}: not JSON ({e})"
            if "checkpoint" in obj:
                checkpoint = obj["checkpoint"]
                continue
            seq = len(leaves)
            if obj.get("seq") != seq:
                return f"line {number}: seq {obj.get('seq')} where {seq} belongs"
            if obj.get("prev") != prev:
                return f"line {number}: event {seq}: prev does not link to event {seq - 1}"
            if obj.get("hash") != event_hash(obj):
                return f"line {number}: event {seq}: hash mismatch"
            if seq > 0 and not obj.get("recorded_at", "") > last_time:
                return f"line {number}: event {seq}: recorded_at does not increase"
            if (seq == 0) != (obj.get("type") == "genesis"):
                return f"line {number}: event {seq}: only event 0 is the genesis event"
            prev, last_time = obj["hash"], obj["recorded_at"]
            leaves.append(blake3.blake3(b"\x00" + bytes.fromhex(prev)).digest())
    if checkpoint is None:
        return "no checkpoint at the end: truncated?"
    if not leaves:
        return "no events"
    lines = checkpoint.split("\n\n", 1)[0].split("\n")
    if len(lines) < 3 or lines[1] != str(len(leaves)):
        return f"the checkpoint is not for {len(leaves)} events"
    if base64.b64decode(lines[2]) != mth(leaves):
        return "the events' Merkle root is not the checkpoint's"
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    problem = verify(sys.argv[1])
    if problem:
        print(f"verification failed: {problem}", file=sys.stderr)
        sys.exit(1)
    print("ok")
