#!/usr/bin/env python3
"""Writes a small OCI image layout with the unsigned base images the image fixtures start from.

usage: make-base-layout.py DIR
Tags (org.opencontainers.image.ref.name): app-v1, app-v2, unsigned, other, replay, pki, oci11, bundled, multi (an index: linux/amd64, linux/arm64).
Each image is one gzip'd tar layer holding /hello.txt with distinct text, and an OCI image config.
The bytes are deterministic (fixed mtimes), so re-running gives the same digests.
"""
import gzip, hashlib, io, json, os, sys, tarfile

out = sys.argv[1]
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

def put(data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}

def layer(text: str) -> tuple[bytes, str]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt"); body = text.encode(); info.size = len(body); info.mtime = 0
        tar.addfile(info, io.BytesIO(body))
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(raw.getvalue())
    return gz.getvalue(), diff_id

def image(text: str, arch: str = "amd64") -> dict:
    blob, diff_id = layer(text)
    config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}, separators=(",", ":")).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **put(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **put(blob)}]}
    data = json.dumps(manifest, separators=(",", ":")).encode()
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", **put(data),
            "platform": {"architecture": arch, "os": "linux"}}

entries = []
for tag, text in [("app-v1", "hello from app v1\n"), ("app-v2", "hello from app v2\n"),
                  ("unsigned", "nobody signed me\n"), ("other", "another image\n"),
                  ("replay", "a signature of app-v1 is replayed onto me\n"), ("pki", "signed with a private CA\n"),
                  ("oci11", "signed in cosign's OCI 1.1 referrers mode\n"),
                  ("bundled", "attested with a Sigstore bundle stored as an OCI 1.1 referrer\n")]:
    d = image(text); d.pop("platform"); d["annotations"] = {"org.opencontainers.image.ref.name": tag}; entries.append(d)
children = [image("multi amd64\n", "amd64"), image("multi arm64\n", "arm64")]
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": children}, separators=(",", ":")).encode()
entries.append({"mediaType": "application/vnd.oci.image.index.v1+json", **put(index),
                "annotations": {"org.opencontainers.image.ref.name": "multi"}})
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
