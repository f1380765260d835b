#!/usr/bin/env python3
"""Push an OCI image layout into a registry, byte for byte (Python standard library only).

Usage: push-layout.py LAYOUT_DIR BASE_URL REPOSITORY [--tag TAG] [--user USER:PASS] [--cacert FILE]
       push-layout.py --jobs FILE     (one such argument list per line, all pushed by one process)

- Blobs: HEAD to skip what is there, else a monolithic upload (POST /v2/<repo>/blobs/uploads/, then PUT ?digest=).
- Manifests: PUT /v2/<repo>/manifests/<digest> with the exact stored bytes, children of an index first; then PUT by
  tag for tagged entries.
- Tags: `org.opencontainers.image.ref.name` entries (skopeo) keep their tag; `cosign save` entries marked with the
  annotation `kind` = dev.cosignproject.cosign/image|imageIndex get --tag (default latest), …/sigs and …/atts get
  cosign's tags sha256-<hex>.sig / .att of that image.
- Auth: anonymous, Basic, or the Docker token flow (token requested with the Basic credentials, push+pull scope).
"""
import base64
import hashlib
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Pusher:
    def __init__(self, layout, base, repo, user=None, cacert=None):
        self.layout, self.base, self.repo, self.user = layout, base.rstrip("/"), repo, user
        ctx = ssl.create_default_context(cafile=cacert) if cacert else ssl.create_default_context()
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect())
        self.auth = None  # the Authorization header value once learnt
        self.pushed = set()

    def request(self, method, url, body=None, headers=None, retry_auth=True):
        if url.startswith("/"):
            url = self.base + url
        req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            data = err.read()
            if err.code == 401 and retry_auth:
                self.authenticate(err.headers.get("WWW-Authenticate", ""))
                return self.request(method, url, body, headers, retry_auth=False)
            return err.code, err.headers, data

    def authenticate(self, challenge):
        scheme, _, rest = challenge.partition(" ")
        basic = "Basic " + base64.b64encode(self.user.encode()).decode() if self.user else None
        if scheme.lower() == "basic":
            if not basic:
                sys.exit("push-layout: the registry wants Basic auth; give --user USER:PASS")
            self.auth = basic
            return
        if scheme.lower() != "bearer":
            sys.exit(f"push-layout: unsupported challenge {scheme!r}")
        params = {}
        for part in rest.split(","):
            k, _, v = part.strip().partition("=")
            params[k.lower()] = v.strip('"')
        query = {"service": params.get("service", ""), "scope": f"repository:{self.repo}:pull,push"}
        url = params["realm"] + "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, headers={"Authorization": basic} if basic else {})
        with self.opener.open(req, timeout=30) as resp:
            token = json.load(resp)
        self.auth = "Bearer " + (token.get("token") or token.get("access_token"))

    def blob_path(self, digest):
        alg, hexpart = digest.split(":", 1)
        return os.path.join(self.layout, "blobs", alg, hexpart)

    def read(self, digest):
        with open(self.blob_path(digest), "rb") as f:
            data = f.read()
        alg, hexpart = digest.split(":", 1)
        if hashlib.new(alg, data).hexdigest() != hexpart:
            sys.exit(f"push-layout: {self.blob_path(digest)} does not hash to {digest}")
        return data

    def push_blob(self, digest):
        if digest in self.pushed or not os.path.exists(self.blob_path(digest)):
            return
        status, _, _ = self.request("HEAD", f"/v2/{self.repo}/blobs/{digest}")
        if status != 200:
            data = self.read(digest)
            status, headers, body = self.request("POST", f"/v2/{self.repo}/blobs/uploads/", body=b"",
                                                 headers={"Content-Length": "0"})
            if status != 202:
                sys.exit(f"push-layout: upload start for {digest} answered {status}: {body[:300]!r}")
            location = urllib.parse.urljoin(self.base + "/", headers["Location"])
            sep = "&" if "?" in location else "?"
            status, _, body = self.request("PUT", location + sep + "digest=" + urllib.parse.quote(digest), body=data,
                                           headers={"Content-Type": "application/octet-stream"})
            if status != 201:
                sys.exit(f"push-layout: upload of {digest} answered {status}: {body[:300]!r}")
        self.pushed.add(digest)

    def push_manifest(self, descriptor, tags=()):
        digest = descriptor["digest"]
        data = self.read(digest)
        doc = json.loads(data)
        media_type = doc.get("mediaType") or descriptor.get("mediaType")
        if digest not in self.pushed:
            if media_type in INDEX_TYPES:
                for child in doc.get("manifests", []):
                    if os.path.exists(self.blob_path(child["digest"])) and child.get("mediaType") in MANIFEST_TYPES:
                        self.push_manifest(child)
            else:
                for blob in [doc.get("config")] + doc.get("layers", []):
                    if blob and "digest" in blob:
                        self.push_blob(blob["digest"])
            self.put_manifest(digest, data, media_type)
            self.pushed.add(digest)
        for tag in tags:
            self.put_manifest(tag, data, media_type)

    def put_manifest(self, reference, data, media_type):
        status, _, body = self.request("PUT", f"/v2/{self.repo}/manifests/{reference}", body=data,
                                       headers={"Content-Type": media_type})
        if status != 201:
            sys.exit(f"push-layout: manifest PUT {reference} answered {status}: {body[:300]!r}")

    def push(self, tag):
        with open(os.path.join(self.layout, "index.json"), "rb") as f:
            index = json.load(f)
        entries = index.get("manifests", [])
        image = None
        for e in entries:
            kind = (e.get("annotations") or {}).get("kind", "")
            if kind in ("dev.cosignproject.cosign/image", "dev.cosignproject.cosign/imageIndex"):
                image = e["digest"]
        # Images first (cosign's sigs/atts tags derive from the image digest).
        order = sorted(entries, key=lambda e: 0 if "image" in (e.get("annotations") or {}).get("kind", "image") else 1)
        for e in order:
            ann = e.get("annotations") or {}
            kind = ann.get("kind", "")
            tags = []
            if "org.opencontainers.image.ref.name" in ann:
                tags.append(ann["org.opencontainers.image.ref.name"].rsplit(":", 1)[-1])
            elif kind in ("dev.cosignproject.cosign/image", "dev.cosignproject.cosign/imageIndex"):
                tags.append(tag)
            elif kind in ("dev.cosignproject.cosign/sigs", "dev.cosignproject.cosign/atts") and image:
                suffix = "sig" if kind.endswith("sigs") else "att"
                tags.append(image.replace(":", "-") + "." + suffix)
            self.push_manifest(e, tags)


def main(argv):
    args, opts = [], {"--tag": "latest", "--user": None, "--cacert": None}
    i = 0
    while i < len(argv):
        if argv[i] in opts:
            opts[argv[i]] = argv[i + 1]
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 3:
        sys.exit(__doc__)
    Pusher(args[0], args[1], args[2], opts["--user"], opts["--cacert"]).push(opts["--tag"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--jobs"]:
        import shlex
        with open(sys.argv[2]) as jobs:
            for line in jobs:
                if line.strip():
                    main(shlex.split(line))
    else:
        main(sys.argv[1:])
