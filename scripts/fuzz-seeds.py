#!/usr/bin/env python3
"""Writes the seed corpus of one fuzz target (scripts/fuzz.sh) from the committed test data.

Usage: scripts/fuzz-seeds.py TARGET OUTDIR

Whole fixture files are seeds as they are; for targets that read a piece of a larger document (a tlog entry, a
checkpoint, a certificate, an SCT list, a timestamp, a reference string) the pieces are cut out of the real
bundles, signatures and vectors here, so every seed is real data made by the real tools.
"""
import base64
import glob
import hashlib
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
MAX_SEED = 256 * 1024


def files(*patterns, max_size=MAX_SEED):
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            if os.path.isfile(path) and os.path.getsize(path) <= max_size:
                yield path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def bundles():
    """Every Sigstore bundle fixture, parsed."""
    for path in files("sigstore/**/*.json", "sigstore/**/*.sigstore", "tlog/bundles/**/*.json",
                      "tlog/bundles/**/*.sigstore", "crypto/sigstore/*.json", "crypto/sigstore/*.sigstore"):
        try:
            doc = json.loads(read(path))
        except ValueError:
            continue
        if isinstance(doc, dict) and "verificationMaterial" in doc:
            yield doc


def b64(text):
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None


def tlog_entries():
    for doc in bundles():
        for entry in doc["verificationMaterial"].get("tlogEntries") or []:
            yield entry


def cosign_signature_files():
    yield from files("containers-image/**/signature-*", "containers-image/*.signature",
                     "tlog/containers-image/**/signature-*")


def cosign_annotations():
    prefix = b"\x00sigstore-json\n"
    for path in cosign_signature_files():
        data = read(path)
        if data.startswith(prefix):
            yield json.loads(data[len(prefix):]).get("annotations") or {}


def certificates():
    for doc in bundles():
        material = doc["verificationMaterial"]
        for cert in (material.get("x509CertificateChain") or {}).get("certificates") or []:
            yield b64(cert.get("rawBytes", ""))
        if "certificate" in material:
            yield b64(material["certificate"].get("rawBytes", ""))
    for annotations in cosign_annotations():
        for key in ("dev.sigstore.cosign/certificate", "dev.sigstore.cosign/chain"):
            yield from pem_blocks(annotations.get(key, "").encode())
    for path in files("crypto/generated/*.pem", "crypto/containers-image/*", "containers-image/*.pem"):
        yield from pem_blocks(read(path))
    for path in files("crypto/generated/*.der"):
        yield read(path)


def pem_blocks(data):
    for block in data.split(b"-----BEGIN ")[1:]:
        body = block.split(b"-----", 1)[-1].split(b"-----END", 1)[0]
        decoded = b64(b"".join(body.split()).decode("ascii", "replace"))
        if decoded:
            yield decoded


def der_length(data, i):
    first = data[i]
    if first < 0x80:
        return first, i + 1
    count = first & 0x7F
    return int.from_bytes(data[i + 1:i + 1 + count], "big"), i + 1 + count


SCT_OID = bytes.fromhex("060a2b06010401d679020402")


def sct_lists():
    """The value of the embedded-SCT extension (an OCTET STRING) of each certificate that has one."""
    for der in certificates():
        if not der or SCT_OID not in der:
            continue
        i = der.index(SCT_OID) + len(SCT_OID)
        if der[i:i + 3] == b"\x01\x01\xff":
            i += 3
        if der[i] != 0x04:
            continue
        length, start = der_length(der, i + 1)
        yield der[start:start + length]


def timestamps():
    for doc in bundles():
        data = doc["verificationMaterial"].get("timestampVerificationData") or {}
        for ts in data.get("rfc3161Timestamps") or []:
            yield b64(ts.get("signedTimestamp", ""))
    for annotations in cosign_annotations():
        if "dev.sigstore.cosign/rfc3161timestamp" in annotations:
            yield annotations["dev.sigstore.cosign/rfc3161timestamp"].encode()
    for path in files("crypto/generated/*.tsr", "crypto/generated/*.tst", "crypto/sigstore/issue1482-timestamp-with-no-cert"):
        yield read(path)


def reference_strings():
    tables = json.loads(read(os.path.join(ROOT, "oci/reference_vectors.json")))["tables"]
    for table in tables:
        for row in table.get("cases") or []:
            values = row.values() if isinstance(row, dict) else row
            for value in values:
                if isinstance(value, str) and 0 < len(value) <= 512:
                    yield value.encode()


def seeds(target):
    if target == "reference":
        yield from reference_strings()
        yield from (line.encode() for line in ("ubuntu", "docker.io/library/ubuntu:22.04", "localhost:5000/a/b@sha256:" + "0" * 64))
    elif target == "manifest":
        for path in files("oci/manifests/**/*.json", "oci/layouts/**/index.json", "images/layouts/**/index.json",
                          "containers-image/**/manifest.json", max_size=64 * 1024):
            yield read(path)
        for path in files("images/layouts/*/blobs/sha256/*", max_size=16 * 1024):
            data = read(path)
            if data.startswith(b"{") and b"schemaVersion" in data:
                yield data
    elif target == "bundle":
        for doc in bundles():
            yield json.dumps(doc).encode()
    elif target == "cosign-layer":
        for path in cosign_signature_files():
            yield read(path)
    elif target == "tlog-entry":
        for entry in tlog_entries():
            yield json.dumps(entry).encode()
            body = b64(entry.get("canonicalizedBody", ""))
            if body:
                yield body
        for annotations in cosign_annotations():
            if "dev.sigstore.cosign/bundle" in annotations:
                yield annotations["dev.sigstore.cosign/bundle"].encode()
    elif target == "checkpoint":
        for entry in tlog_entries():
            envelope = ((entry.get("inclusionProof") or {}).get("checkpoint") or {}).get("envelope")
            if envelope:
                yield envelope.encode()
    elif target == "certificate":
        yield from certificates()
        for path in files("crypto/generated/*.pub.der", "crypto/generated/*.pub.pem", "crypto/keys/*.pem"):
            yield read(path)
    elif target == "sct":
        yield from sct_lists()
    elif target == "timestamp":
        yield from timestamps()
    elif target == "yaml":
        yield from (read(p) for p in files("scan/**/*.yaml", "scan/**/*.yml", "scan/**/*.json", max_size=64 * 1024))
    elif target == "chart":
        yield from (read(p) for p in files("scan/**/*.tgz", max_size=1024 * 1024))
    elif target == "tuf-metadata":
        static = "tuf/tuf-conformance/tuf_conformance/static_data/"
        yield from (read(p) for p in files("tuf/e2e/*.json", "tuf/e2e/state*/*.json", static + "*/metadata/*.json",
                                           static + "*/initial_root.json", max_size=64 * 1024))
    elif target == "admission-review":
        images = ["registry.example/app@sha256:" + "87c3f0200da9d05c2077d2b0d29e61dc3239974f1d826cc51c3bc43ae3e414a9",
                  "nginx:1.27", "busybox", "ghcr.io/org/app:v1@sha256:" + "0" * 64, "{{ .Values.image }}", ""]
        for path in files("serve/reviews/*.json"):
            template = read(path).decode()
            for image in images:
                text = template
                for name in ("IMAGE", "INIT_IMAGE", "SIDECAR_IMAGE", "DEBUG_IMAGE"):
                    text = text.replace("$" + name, image)
                yield text.encode()
    else:
        sys.exit(f"fuzz-seeds.py: unknown target {target}")


def main():
    target, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    count = 0
    for seed in seeds(target):
        if seed:
            with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
                f.write(seed)
            count += 1
    if count == 0:
        sys.exit(f"fuzz-seeds.py: no seeds for {target}")
    print(f"{count} seeds")


main()
