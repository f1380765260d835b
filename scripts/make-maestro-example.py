#!/usr/bin/env python3
"""Builds examples/maestro/layout: an OCI image layout holding the two containers/image fixture images whose
cosign signatures carry a real production Rekor entry (testdata/containers-image, see its README):

  192.168.64.2:5000/cosign-signed/key-1           key signature (cosign2.pub) + Rekor SET
  192.168.64.2:5000/cosign-signed/fulcio-rekor-1  keyless signature (Fulcio cert for mitr@redhat.com) + SCT + Rekor SET

Both name the same image manifest (sha256:0489474d…). The manifest bytes are copied verbatim (their digest is the
signed one); each `signature-1` file (containers/image `dir:` format) becomes the one layer of a cosign signature
manifest tagged `sha256-<hex>.sig` in its repository, exactly as `cosign sign` stores it in a registry: the payload
blob is the signed simple-signing JSON, the layer annotations are the signature, certificate, chain and Rekor bundle.
Nothing is signed here: every signature is the original one. Re-run: python3 scripts/make-maestro-example.py
"""
import base64
import hashlib
import json
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "testdata", "containers-image")
OUT = os.path.join(ROOT, "examples", "maestro", "layout")
IMAGES = [
    ("192.168.64.2:5000/cosign-signed/key-1", "dir-img-cosign-key-rekor-valid"),
    ("192.168.64.2:5000/cosign-signed/fulcio-rekor-1", "dir-img-cosign-fulcio-rekor-valid"),
]
PREFIX = b"\x00sigstore-json\n"


def put_blob(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(OUT, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(os.path.join(OUT, "blobs", "sha256"))
    with open(os.path.join(OUT, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    entries = []
    for repository, fixture in IMAGES:
        manifest = open(os.path.join(FIXTURES, fixture, "manifest.json"), "rb").read()
        media_type = json.loads(manifest)["mediaType"]
        digest = put_blob(manifest)
        entries.append({"mediaType": media_type, "digest": digest, "size": len(manifest),
                        "annotations": {"org.opencontainers.image.ref.name": repository + ":v1.4.2"}})
        raw = open(os.path.join(FIXTURES, fixture, "signature-1"), "rb").read()
        assert raw.startswith(PREFIX), fixture
        signature = json.loads(raw[len(PREFIX):])
        payload = base64.b64decode(signature["payload"])
        payload_digest = put_blob(payload)
        config = canonical({"architecture": "", "config": {}, "created": "0001-01-01T00:00:00Z",
                            "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "",
                            "rootfs": {"diff_ids": [payload_digest], "type": "layers"}})
        config_digest = put_blob(config)
        sig_manifest = canonical({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config), "digest": config_digest},
            "layers": [{"mediaType": signature["mimeType"], "size": len(payload), "digest": payload_digest,
                        "annotations": signature["annotations"]}],
        })
        sig_digest = put_blob(sig_manifest)
        tag = digest.replace(":", "-") + ".sig"
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sig_digest,
                        "size": len(sig_manifest), "annotations": {"org.opencontainers.image.ref.name": repository + ":" + tag}})
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=2, sort_keys=True)
        f.write("\n")
    print("wrote", OUT, "with", len(entries), "entries")


if __name__ == "__main__":
    main()
