#!/usr/bin/env python3
"""Builds the verify-image container image as an OCI image layout, without a Docker engine.

usage: scripts/build-image.py [--binary PATH] [--out DIR] [--values FILE]
  --binary  the verify-image to package (default .build/release/verify-image, which scripts/install.sh builds:
            release, Swift runtime and Foundation linked statically)
  --out     the OCI image layout to write (default .build/image); push it with scripts/push-layout.py
  --values  a chart values file whose top-level `image.digest` is rewritten to this image's digest
            (charts/verify-image/values.yaml: the chart gates itself, so it runs its own image pinned)
Prints the manifest digest.

What the Dockerfile at the top of the repository builds, for machines without a Docker engine: one layer with the
binary at /usr/local/bin/verify-image, every shared library `ldd` names for it (glibc, OpenSSL, zlib: copied from
this machine, under the paths the loader looks them up), the CA bundle, /etc/passwd and /etc/group with the nonroot
user 65532, and /tmp; the config runs as 65532:65532 with `verify-image` as the entry point.
The bytes are deterministic for a given binary and libraries (fixed mtimes and owners, sorted entries, gzip
without a name or time), so the digest names exactly what was packaged.
"""
import argparse, gzip, hashlib, io, json, os, re, subprocess, sys, tarfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--binary", default=os.path.join(root, ".build", "release", "verify-image"))
parser.add_argument("--out", default=os.path.join(root, ".build", "image"))
parser.add_argument("--values")
args = parser.parse_args()

if not os.access(args.binary, os.X_OK):
    sys.exit(f"build-image.py: {args.binary} is missing; build it first with scripts/install.sh (or pass --binary)")

def libraries(binary: str) -> list[str]:
    """The absolute paths `ldd` resolves for the binary, the dynamic loader included."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"build-image.py: ldd {binary} failed: {out.stderr.strip() or out.stdout.strip()}")
    paths = []
    for line in out.stdout.splitlines():
        if "not found" in line:
            sys.exit(f"build-image.py: {binary} needs a library this machine lacks: {line.strip()}")
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            paths.append(m.group(1))
    return sorted(set(paths))

version = subprocess.run([args.binary, "--version"], capture_output=True, text=True).stdout.strip() or "unknown"
revision = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()

# path in the image -> (mode, bytes); directories are derived.
files: dict[str, tuple[int, bytes]] = {}
files["usr/local/bin/verify-image"] = (0o755, open(args.binary, "rb").read())
for lib in libraries(args.binary):
    files[lib.lstrip("/")] = (0o755, open(os.path.realpath(lib), "rb").read())
ca = "/etc/ssl/certs/ca-certificates.crt"
if not os.path.exists(ca):
    sys.exit(f"build-image.py: {ca} is missing (apt-get install ca-certificates): the image needs it for HTTPS registries")
files["etc/ssl/certs/ca-certificates.crt"] = (0o644, open(ca, "rb").read())
files["etc/passwd"] = (0o644, b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
files["etc/group"] = (0o644, b"root:x:0:\nnonroot:x:65532:\n")
files["etc/nsswitch.conf"] = (0o644, b"hosts: files dns\n")

directories = {"tmp", "home/nonroot"}
for path in files:
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        directories.add("/".join(parts[:i]))

raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for path in sorted(directories | set(files)):
        info = tarfile.TarInfo(path)
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        if path in files:
            mode, body = files[path]
            info.mode, info.size = mode, len(body)
            tar.addfile(info, io.BytesIO(body))
        else:
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if path == "tmp" else 0o755
            if path == "home/nonroot":
                info.uid = info.gid = 65532
            tar.addfile(info)
layer_tar = raw.getvalue()
gz = io.BytesIO()
with gzip.GzipFile(filename="", fileobj=gz, mode="wb", mtime=0, compresslevel=6) as g:
    g.write(layer_tar)
layer = gz.getvalue()

os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)
def put(data: bytes, media_type: str) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(args.out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

labels = {"org.opencontainers.image.title": "verify-image", "org.opencontainers.image.version": version,
          "org.opencontainers.image.source": "image-verifier"}
if revision:
    labels["org.opencontainers.image.revision"] = revision
config = {
    "created": "1970-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
    "config": {"User": "65532:65532", "Entrypoint": ["/usr/local/bin/verify-image"], "Cmd": ["serve", "--help"],
               "ExposedPorts": {"8443/tcp": {}}, "WorkingDir": "/home/nonroot", "Labels": labels,
               "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
    "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "scripts/build-image.py"}],
}
config_descriptor = put(json.dumps(config, sort_keys=True, separators=(",", ":")).encode(),
                        "application/vnd.oci.image.config.v1+json")
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_descriptor,
            "layers": [put(layer, "application/vnd.oci.image.layer.v1.tar+gzip")],
            "annotations": labels}
manifest_descriptor = put(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode(),
                          "application/vnd.oci.image.manifest.v1+json")
tag = re.sub(r"[^A-Za-z0-9_.-]", "-", version.split()[-1])[:128] or "latest"
manifest_descriptor["annotations"] = {"org.opencontainers.image.ref.name": tag}
with open(os.path.join(args.out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(os.path.join(args.out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [manifest_descriptor]}, f)

if args.values:
    text = open(args.values).read()
    # The `digest:` line of the top-level `image:` block, edited in place (comments and layout kept).
    block = re.search(r"(?m)^image:\n((?:[ \t]+.*\n|[ \t]*\n)*)", text)
    if not block or not re.search(r"(?m)^[ \t]+digest:", block.group(1)):
        sys.exit(f"build-image.py: {args.values} has no image.digest line to rewrite")
    body, edits = re.subn(r'(?m)^([ \t]+digest:)[ \t]*\S*[ \t]*$', r'\1 ' + manifest_descriptor["digest"], block.group(1), count=1)
    if edits != 1:
        sys.exit(f"build-image.py: {args.values}: image.digest is not a plain `digest: VALUE` line; not rewritten")
    text = text[:block.start(1)] + body + text[block.end(1):]
    with open(args.values, "w") as f:
        f.write(text)
    print(f"build-image.py: {args.values}: image.digest = {manifest_descriptor['digest']}", file=sys.stderr)

print(f"build-image.py: {args.out}: {tag}, {len(files)} files, layer {len(layer) / 1e6:.1f} MB", file=sys.stderr)
print(manifest_descriptor["digest"])
