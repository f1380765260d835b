#!/usr/bin/env python3
"""Makes testdata/tuf/e2e: a TUF repository (python-tuf 7, the TUF reference implementation) that serves Sigstore's
trusted_root.json in two states, for the end-to-end test of `verify-image trust update` + verification.

  state1/  root v1; targets v1 list a trusted_root.json WITHOUT the Rekor v1 log rekor.sigstore.dev
  state2/  root v2 (timestamp key rotated); targets v2 list keys/sigstore-production-trusted_root.json as is
           (the Rekor v1 log added back), snapshot and timestamp v2

Each state is a directory served as is over HTTP (metadata at /, consistent-snapshot files; targets under
/targets/<sha256>.trusted_root.json). root.json (= state1/1.root.json) is the client's initial root. Fresh keys
are generated on each run and thrown away (no private key is kept).
Run with the conformance suite's environment: .build/tuf-conformance-env/bin/python scripts/make-tuf-fixtures.py
"""
import json
import os
import shutil
from datetime import datetime, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "testdata", "tuf", "e2e")
EXPIRES = datetime(2099, 1, 1, tzinfo=timezone.utc)

production = open(os.path.join(ROOT, "keys", "sigstore-production-trusted_root.json"), "rb").read()
parsed = json.loads(production)
parsed["tlogs"] = [log for log in parsed["tlogs"] if log["baseUrl"] != "https://rekor.sigstore.dev"]
without_rekor_v1 = (json.dumps(parsed, indent=2) + "\n").encode()

signers = {
    "root": CryptoSigner.generate_ecdsa(),
    "targets": CryptoSigner.generate_ed25519(),
    "snapshot": CryptoSigner.generate_ed25519(),
    "timestamp": CryptoSigner.generate_rsa(),
}
serializer = JSONSerializer(compact=False)

root = Metadata(Root(expires=EXPIRES, consistent_snapshot=True))
for role, signer in signers.items():
    root.signed.add_key(signer.public_key, role)


def sign(md, role):
    md.signatures.clear()
    md.sign(signers[role])
    return md.to_bytes(serializer)


def publish(state, root_versions, trusted_root, version):
    directory = os.path.join(OUT, state)
    os.makedirs(os.path.join(directory, "targets"))
    for number, data in root_versions:
        open(os.path.join(directory, f"{number}.root.json"), "wb").write(data)
    target = TargetFile.from_data("trusted_root.json", trusted_root, ["sha256"])
    targets = Metadata(Targets(version=version, expires=EXPIRES, targets={"trusted_root.json": target}))
    targets_bytes = sign(targets, "targets")
    open(os.path.join(directory, f"{version}.targets.json"), "wb").write(targets_bytes)
    snapshot = Metadata(Snapshot(version=version, expires=EXPIRES, meta={"targets.json": MetaFile(version)}))
    snapshot_bytes = sign(snapshot, "snapshot")
    open(os.path.join(directory, f"{version}.snapshot.json"), "wb").write(snapshot_bytes)
    timestamp = Metadata(Timestamp(version=version, expires=EXPIRES, snapshot_meta=MetaFile(version)))
    open(os.path.join(directory, "timestamp.json"), "wb").write(sign(timestamp, "timestamp"))
    name = f"{target.hashes['sha256']}.trusted_root.json"
    open(os.path.join(directory, "targets", name), "wb").write(trusted_root)


shutil.rmtree(os.path.join(OUT, "state1"), ignore_errors=True)
shutil.rmtree(os.path.join(OUT, "state2"), ignore_errors=True)
root_v1 = sign(root, "root")
open(os.path.join(OUT, "root.json"), "wb").write(root_v1)
publish("state1", [(1, root_v1)], without_rekor_v1, 1)

# Root v2 rotates the timestamp key; it is signed by the (unchanged) root key, which is both old and new.
root.signed.version = 2
root.signed.revoke_key(signers["timestamp"].public_key.keyid, "timestamp")
signers["timestamp"] = CryptoSigner.generate_ecdsa()
root.signed.add_key(signers["timestamp"].public_key, "timestamp")
root_v2 = sign(root, "root")
publish("state2", [(1, root_v1), (2, root_v2)], production, 2)
print(f"wrote {OUT}")
