#!/usr/bin/env python3
"""Writes the ManifestScanner fixtures that are generated rather than copied (testdata/scan/negative/*.tgz,
alias-bomb.yaml, deep-nesting.yaml, testdata/scan/cases/nested-image.tgz, the umbrella chart of testdata/scan/cases/subchart/
and its archive subchart.tgz). Deterministic: tar and gzip mtimes are 0,
so re-running it reproduces the committed bytes. Usage: python3 scripts/make-scan-fixtures.py"""
import gzip
import io
import os
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "scan")
NEG = os.path.join(ROOT, "negative")
CASES = os.path.join(ROOT, "cases")


def tar_bytes(entries):
    """entries: list of (TarInfo-kwargs, data-bytes-or-None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            ti = tarfile.TarInfo(info["name"])
            ti.mtime = 0
            ti.mode = 0o644
            ti.uname = ti.gname = ""
            ti.type = info.get("type", tarfile.REGTYPE)
            ti.linkname = info.get("linkname", "")
            if data is not None:
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
            else:
                tar.addfile(ti)
    return buf.getvalue()


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9, filename="") as f:
        f.write(data)
    return out.getvalue()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    print(f"{os.path.relpath(path, ROOT)}: {len(data)} bytes")


CHART = b"apiVersion: v2\nname: demo\nversion: 0.1.0\nappVersion: 1.2.3\n"
VALUES = b"image:\n  repository: ghcr.io/example/app\n  tag: v1\n"


def main():
    os.makedirs(NEG, exist_ok=True)
    os.makedirs(CASES, exist_ok=True)

    # gzip bomb: a chart whose values.yaml expands to 1 GiB of spaces (compressed ~1 MiB would be too large to
    # commit, so the tar is streamed through zlib in pieces: 64 MiB of zeros compress to ~64 KiB).
    size = 64 << 20
    header = tar_bytes([({"name": "bomb/Chart.yaml"}, CHART)])[:-1024]  # drop the end-of-archive blocks
    info = tarfile.TarInfo("bomb/values.yaml")
    info.size = size
    info.mtime = 0
    member = info.tobuf(format=tarfile.USTAR_FORMAT)
    comp = __import__("zlib").compressobj(9, __import__("zlib").DEFLATED, 31)
    parts = [comp.compress(header + member)]
    zeros = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        parts.append(comp.compress(zeros))
    parts.append(comp.compress(b"\0" * 1024))
    parts.append(comp.flush())
    data = b"".join(parts)
    # Fix the gzip header's mtime/OS bytes for determinism (zlib writes mtime 0, OS 3 already).
    write(os.path.join(NEG, "gzip-bomb.tgz"), data)

    # tar traversal: `..` and absolute paths next to one good values file.
    write(os.path.join(NEG, "tar-traversal.tgz"), gz(tar_bytes([
        ({"name": "demo/Chart.yaml"}, CHART),
        ({"name": "demo/../../evil/values.yaml"}, b"image: evil/escape:1\n"),
        ({"name": "/etc/demo/values.yaml"}, b"image: evil/absolute:1\n"),
        ({"name": "demo/values.yaml"}, VALUES),
    ])))

    # tar symlink / hard link entries: skipped, reported, never followed.
    write(os.path.join(NEG, "tar-symlink.tgz"), gz(tar_bytes([
        ({"name": "demo/Chart.yaml"}, CHART),
        ({"name": "demo/values.yaml", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, None),
        ({"name": "demo/templates/link.yaml", "type": tarfile.LNKTYPE, "linkname": "demo/Chart.yaml"}, None),
        ({"name": "demo/real-values.yaml"}, VALUES),
    ])))

    # YAML alias bomb ("billion laughs"): 9 levels of 9 aliases = 9^9 nodes if expanded.
    lines = ["# billion laughs: each level repeats the previous one 9 times (9^9 = 387,420,489 nodes expanded)",
             'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append("image: nginx:1.25")
    write(os.path.join(NEG, "alias-bomb.yaml"), ("\n".join(lines) + "\n").encode())

    # Alias bomb in a mapping key: the parser would hash the whole expansion.
    lines = lines[:-1] + ["? *i", ": boom"]
    write(os.path.join(NEG, "alias-bomb-key.yaml"), ("\n".join(lines) + "\n").encode())

    # Deep nesting: 5000 nested flow sequences (libyaml stops at 1000) and 300 block levels (our limit is 200).
    write(os.path.join(NEG, "deep-nesting.yaml"), b"image: nginx:1.25\nnested: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    block = "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "image: nginx:1.25\n"
    write(os.path.join(NEG, "deep-nesting-block.yaml"), block.encode())

    # A chart whose dependency is a nested .tgz that declares an image.
    inner = gz(tar_bytes([
        ({"name": "inner/Chart.yaml"}, b"apiVersion: v2\nname: inner\nversion: 0.1.0\nappVersion: 2.0.0\n"),
        ({"name": "inner/values.yaml"}, b"image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: \"\"\n"
                                        b"  digest: sha256:0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de\n"),
    ]))
    write(os.path.join(CASES, "nested-image.tgz"), gz(tar_bytes([
        ({"name": "outer/Chart.yaml"}, CHART),
        ({"name": "outer/values.yaml"}, VALUES),
        ({"name": "outer/charts/inner-0.1.0.tgz"}, inner),
    ])))

    # An umbrella chart whose values override its subchart's image (Helm's values merge: `<subchart>:` and
    # `global:` of the parent win over the subchart's own values.yaml), as a folder and as an archive whose
    # subchart is a nested .tgz.
    umbrella_chart = b"apiVersion: v2\nname: umbrella\nversion: 1.0.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n"
    umbrella_values = (b"# The parent pins its subchart's image and moves every registry.\n"
                       b"global:\n  imageRegistry: registry.example.com\n"
                       b"redis:\n  image:\n    tag: 7.2.4\n"
                       b"    digest: sha256:0bc88eb15f9e7f84e8e56c14fa5735aaa488b840983f87bd79b1054190e660de\n"
                       b"  exporter:\n    image: ~\n"
                       b"  extra:\n    image: docker.io/bitnami/os-shell:12\n")
    redis_chart = b"apiVersion: v2\nname: redis\nversion: 1.0.0\nappVersion: 7.2.0\n"
    redis_values = (b"image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.0\n  digest: \"\"\n"
                    b"sidecar:\n  image: docker.io/bitnami/sidecar:1.0\n"
                    b"exporter:\n  image: docker.io/bitnami/redis-exporter:1.5\n")
    folder = os.path.join(CASES, "subchart")
    os.makedirs(os.path.join(folder, "charts", "redis"), exist_ok=True)
    write(os.path.join(folder, "Chart.yaml"), umbrella_chart)
    write(os.path.join(folder, "values.yaml"), umbrella_values)
    write(os.path.join(folder, "charts", "redis", "Chart.yaml"), redis_chart)
    write(os.path.join(folder, "charts", "redis", "values.yaml"), redis_values)
    redis_tgz = gz(tar_bytes([({"name": "redis/Chart.yaml"}, redis_chart), ({"name": "redis/values.yaml"}, redis_values)]))
    write(os.path.join(CASES, "subchart.tgz"), gz(tar_bytes([
        ({"name": "umbrella/Chart.yaml"}, umbrella_chart),
        ({"name": "umbrella/values.yaml"}, umbrella_values),
        ({"name": "umbrella/charts/redis-1.0.0.tgz"}, redis_tgz),
    ])))


if __name__ == "__main__":
    main()
