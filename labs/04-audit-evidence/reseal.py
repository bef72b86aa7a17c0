#!/usr/bin/env python3
"""What a deliberate forger does after editing an audit package: recompute every hash so that the
package agrees with itself again, and optionally sign it with a key of their own.

    python3 reseal.py IN.json OUT.json [--sign ED25519_PRIVATE_KEY.pem]

Every record and refused-attempt hash, every chain's prev_hash, each route's head_hash,
content_sha256 and audit_id are recomputed (RFC 8785 canonical JSON, as docs/audit-packages.md
section 7 shows). Without --sign the old signature is kept; with it, the package is signed with the
given key (through the openssl command). Only a signature checked against a trusted key tells the
result apart from the original.
"""
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
import os


def jcs(v):  # RFC 8785 for what evidence holds: objects, arrays, strings, integers, booleans, null
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def sha(v, *drop):
    return hashlib.sha256(jcs({k: x for k, x in v.items() if k not in drop}).encode()).hexdigest()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key_path, content):
    with tempfile.TemporaryDirectory() as tmp:
        message, signature = os.path.join(tmp, "content.txt"), os.path.join(tmp, "signature.bin")
        with open(message, "w", encoding="ascii") as fh:
            fh.write(content)
        subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key_path, "-rawin", "-in", message,
                        "-out", signature], check=True)
        der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        with open(signature, "rb") as fh:
            value = fh.read()
    raw = der[-32:]  # an Ed25519 SubjectPublicKeyInfo ends with the raw 32-byte key
    return {"algorithm": "Ed25519", "key_id": hashlib.sha256(raw).hexdigest()[:16],
            "public_key": b64url(raw), "value": b64url(value)}


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--sign"):
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8") as fh:
        package = json.load(fh)
    for route in package["routes"]:
        for chain in (route["acknowledgements"], route["refused_attempts"]):
            prev = ""
            for item in chain:
                item["prev_hash"] = prev
                item["hash"] = sha(item, "hash")
                prev = item["hash"]
        route["head_hash"] = route["acknowledgements"][-1]["hash"] if route["acknowledgements"] else ""
    content = sha(package, "integrity", "audit_id")
    package["integrity"]["content_sha256"] = content
    package["audit_id"] = "gordackaudit-" + content[:16]
    if len(argv) == 5:
        package["integrity"]["signature"] = sign(argv[4], content)
    with open(argv[2], "w", encoding="utf-8") as fh:
        json.dump(package, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    print(f"resealed {package['audit_id']} to {argv[2]}" + (" (signed with " + argv[4] + ")" if len(argv) == 5 else ""))


if __name__ == "__main__":
    main(sys.argv)
