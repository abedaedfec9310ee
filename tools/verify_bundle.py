#!/usr/bin/env python3
"""Verify a ledger bundle from docs/FORMAT.md alone: an independent implementation, sharing no code
with the ledger. Checks that the bundle is in its one encoding (every line the RFC 8785 canonical
JSON of its object, no member name twice, every time value in the one form the ledger writes,
absent members left out), every event's hash, seq and prev link, and that the events' Merkle root
(RFC 6962, SHA-256 over each line) and count are those of the bundle's checkpoint. It does not check the checkpoint's signature, the
lifecycle rules or the event schemas (`ledger verify-bundle --key` does). Needs the `blake3`
package (pip install blake3).

Exit status: 0 if the bundle verifies, 1 (with a reason naming the line) if not, 2 on a usage error.
"""
import argparse
import base64
import hashlib
import json
import re
import sys
from datetime import datetime

CONTEXT = "sanctions-designation-ledger v1 event"
MAX_SAFE_INTEGER = 2**53 - 1


class Refused(Exception):
    """The bundle breaks a rule of docs/FORMAT.md."""


def unique_members(pairs):
    """An object hook that refuses a member name given twice (json keeps the last otherwise)."""
    obj = {}
    for name, value in pairs:
        if name in obj:
            raise Refused(f"member `{name}` appears twice in one object: JSON member names must be unique")
        obj[name] = value
    return obj


def no_float(text):
    raise Refused(f"the number {text} is not an integer: the format has none")


def no_constant(text):
    raise Refused(f"{text} is not JSON")


def jcs(value):
    """RFC 8785 for this model: integers only, members sorted by UTF-16 code units."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise Refused(f"the integer {value} is beyond ±(2^53 − 1)")
        return str(value)
    if isinstance(value, str):
        # json.dumps escapes exactly what RFC 8785 escapes, in the same forms, when not ASCII-only.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    names = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(value[k]) for k in names) + "}"


def canonical_bytes(value):
    try:
        return jcs(value).encode("utf-8")
    except UnicodeEncodeError:
        raise Refused("a string holds a lone surrogate, which has no UTF-8 form") from None


def event_hash(event):
    import blake3

    body = {k: v for k, v in event.items() if k != "hash"}
    return blake3.blake3(canonical_bytes(body), derive_key_context=CONTEXT).hexdigest()


RECORDED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
DATE = re.compile(r"(\d{4})-\d{2}-\d{2}")
# The ledger writes an instant in UTC with `Z`, and its fraction in 0, 3 or 6 digits: as few of
# those as hold it exactly (so `.500`, never `.5` or `.500000`).
INSTANT = re.compile(r"(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.(\d{3}|\d{6}))?Z")


def valid_date(text):
    m = DATE.fullmatch(text)
    if not m or not 1900 <= int(m.group(1)) <= 2999:
        return False
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def valid_instant(text):
    m = INSTANT.fullmatch(text)
    if not m or not 1900 <= int(m.group(1)) <= 2999:
        return False
    fraction = m.group(3)
    if fraction is not None and (set(fraction) == {"0"} or (len(fraction) == 6 and fraction.endswith("000"))):
        return False
    try:
        datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def check_forms(event):
    """The value forms of docs/FORMAT.md ("One encoding"), outside `patch` and `other`."""
    recorded_at = event.get("recorded_at")
    if not isinstance(recorded_at, str) or not RECORDED_AT.fullmatch(recorded_at):
        raise Refused(f"member `recorded_at` is {json.dumps(recorded_at)}, not YYYY-MM-DDThh:mm:ss.ffffffZ")
    try:
        datetime.strptime(recorded_at[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise Refused(f"member `recorded_at` is {json.dumps(recorded_at)}, not a time") from None
    effective = event.get("effective")
    if effective is not None and not (
        isinstance(effective, str) and (valid_date(effective) or valid_instant(effective))
    ):
        raise Refused(
            f"member `effective` is {json.dumps(effective)}, not in the form the ledger writes "
            "(YYYY-MM-DD, or a UTC instant ending in Z with 0, 3 or 6 fractional digits)"
        )
    dates = [("published", event.get("published"))]
    if isinstance(event.get("source"), dict):
        dates.append(("source.published", event["source"].get("published")))
    if isinstance(event.get("import"), dict):
        dates.append(("import.report_date", event["import"].get("report_date")))
    for name, value in dates:
        if value is not None and not (isinstance(value, str) and valid_date(value)):
            raise Refused(f"member `{name}` is {json.dumps(value)}, not a date YYYY-MM-DD")

    def absent(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                if path == "" and k in ("patch", "other"):
                    continue  # free-form JSON, written as it was given
                where = f"{path}.{k}" if path else k
                if v is None or v is False or (v == [] and k != "names"):
                    raise Refused(
                        f"member `{where}` is {json.dumps(v)}: the ledger writes an absent value by leaving the member out"
                    )
                absent(v, where)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                absent(v, f"{path}[{i}]")

    absent(event, "")


def mth(leaves):
    """RFC 6962 / RFC 9162 2.1.1 with SHA-256: leaves are already leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def check_line(number, raw):
    """The object of one line, refused unless the line is its canonical JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(f"line {number}: not UTF-8") from None
    try:
        obj = json.loads(text, object_pairs_hook=unique_members, parse_float=no_float, parse_constant=no_constant)
    except Refused as e:
        raise Refused(f"line {number}: {e}") from None
    except ValueError as e:
        raise Refused(f"line {number}: not JSON ({e})") from None
    if not isinstance(obj, dict):
        raise Refused(f"line {number}: not a JSON object")
    try:
        canonical = canonical_bytes(obj)
    except Refused as e:
        raise Refused(f"line {number}: {e}") from None
    if canonical != raw:
        at = next((i for i, (a, b) in enumerate(zip(canonical, raw)) if a != b), min(len(canonical), len(raw)))
        raise Refused(f"line {number}: not in canonical form (RFC 8785) from byte {at}")
    return obj


def verify(path):
    leaves, prev, last_time, checkpoint = [], "0" * 64, "", None
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise Refused(f"line {len(lines)}: the last line has no line end: truncated?")
    for number, raw in enumerate(lines[:-1], 1):
        if not raw:
            raise Refused(f"line {number}: a blank line")
        if checkpoint is not None:
            raise Refused(f"line {number}: text after the checkpoint")
        obj = check_line(number, raw)
        if "checkpoint" in obj:
            if len(obj) != 1 or not isinstance(obj["checkpoint"], str):
                raise Refused(f"line {number}: the checkpoint line holds only the string `checkpoint`")
            checkpoint = obj["checkpoint"]
            continue
        seq = len(leaves)
        try:
            check_forms(obj)
        except Refused as e:
            raise Refused(f"line {number}: event {seq}: {e}") from None
        if obj.get("seq") != seq:
            raise Refused(f"line {number}: seq {obj.get('seq')} where {seq} belongs")
        if obj.get("prev") != prev:
            raise Refused(f"line {number}: event {seq}: prev does not link to event {seq - 1}")
        if obj.get("hash") != event_hash(obj):
            raise Refused(f"line {number}: event {seq}: hash mismatch")
        if seq > 0 and not obj["recorded_at"] > last_time:
            raise Refused(f"line {number}: event {seq}: recorded_at does not increase")
        if (seq == 0) != (obj.get("type") == "genesis"):
            raise Refused(f"line {number}: event {seq}: only event 0 is the genesis event")
        prev, last_time = obj["hash"], obj["recorded_at"]
        # The line is the event's entry (its canonical bytes with its hash): the leaf hashes it.
        leaves.append(hashlib.sha256(b"\x00" + raw).digest())
    if not leaves:
        raise Refused("the bundle holds no events")
    if checkpoint is None:
        raise Refused("no checkpoint at the end: truncated?")
    note = checkpoint.split("\n\n", 1)[0].split("\n")
    if len(note) < 3 or note[1] != str(len(leaves)):
        raise Refused(f"the checkpoint is not for {len(leaves)} events")
    try:
        root = base64.b64decode(note[2], validate=True)
    except ValueError:
        raise Refused("the checkpoint's root is not base64") from None
    if root != mth(leaves):
        raise Refused("the events' Merkle root is not the checkpoint's")


def main():
    parser = argparse.ArgumentParser(
        description="Verify a ledger bundle (from `ledger export`) independently of the ledger, from docs/FORMAT.md.",
        epilog="Exit status: 0 if it verifies, 1 (with the reason) if not. "
        "The checkpoint's signature is not checked: use `ledger verify-bundle --key`.",
    )
    parser.add_argument("bundle", help="the bundle file")
    args = parser.parse_args()
    try:
        import blake3  # noqa: F401
    except ImportError:
        print("verify_bundle.py needs the blake3 package: pip install blake3", file=sys.stderr)
        sys.exit(2)
    try:
        verify(args.bundle)
    except OSError as e:
        print(f"cannot read {args.bundle}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    except Refused as e:
        print(f"verification failed: {e}", file=sys.stderr)
        sys.exit(1)
    except RecursionError:
        print("verification failed: nested too deeply", file=sys.stderr)
        sys.exit(1)
    print("ok (structure, hashes, links and Merkle root; the signature was not checked)")


if __name__ == "__main__":
    main()
