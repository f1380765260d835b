#!/usr/bin/env bash
# Checks charts/verify-image without Helm (not packaged for Debian): renders the templates with Go's text/template
# (scripts/render-chart, the engine Helm uses, with the few Helm functions the chart calls), for the default values
# and for Gatekeeper mode without cert-manager; validates every rendered object of a built-in kind against the
# Kubernetes OpenAPI schemas (kubernetes-validate, from PyPI); checks the gate's own invariants (replicas, anti-affinity,
# PDB, HPA, failurePolicy Fail, own namespace excluded, non-root read-only pods, pinned image); and runs
# `verify-image scan` over the chart folder and the rendered manifests.
# Usage: scripts/check-chart.sh [VERIFY_IMAGE] — needs golang-go and python3 (it installs kubernetes-validate in a venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/debug/verify-image}
chart=$root/charts/verify-image
work=$(mktemp -d "${TMPDIR:-/tmp}/check-chart.XXXXXX")
trap 'rm -rf "$work"' EXIT
command -v go >/dev/null || { echo "check-chart.sh: go is missing (apt-get install golang-go)" >&2; exit 1; }
venv=${CHART_VENV:-${TMPDIR:-/tmp}/iv-chart-venv}
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kubernetes-validate==1.37.0' pyyaml
fi
(cd "$root/scripts/render-chart" && GOFLAGS=-mod=mod go build -o "$work/render-chart" .)
to_json() { "$venv/bin/python" -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$1"; }
to_json "$chart/Chart.yaml" > "$work/chart.json"
to_json "$chart/values.yaml" > "$work/values.json"
# Default mode: cert-manager, keyless verification of a release workflow's identity.
"$venv/bin/python" - "$work/values.json" > "$work/values-default.json" <<'PY'
import json, sys
values = json.load(open(sys.argv[1]))
values["verification"]["certificateIdentity"] = "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main"
values["verification"]["certificateOidcIssuer"] = "https://token.actions.githubusercontent.com"
print(json.dumps(values))
PY
# Gatekeeper mode: no cert-manager, a CA bundle, a client CA for mutual TLS, a key in the policy ConfigMap.
"$venv/bin/python" - "$work/values.json" "$root/testdata/serve/tls/ca-a.crt" "$root/testdata/images/keys/signer.pub" > "$work/values-gatekeeper.json" <<'PY'
import json, sys
values = json.load(open(sys.argv[1]))
values["gatekeeper"]["enabled"] = True
values["tls"]["certManager"]["enabled"] = False
values["tls"]["caBundle"] = open(sys.argv[2]).read()
values["tls"]["clientCASecret"] = "gatekeeper-client-ca"
values["verification"]["keys"] = {"release.pub": open(sys.argv[3]).read()}
values["verification"]["insecureIgnoreTlog"] = True
print(json.dumps(values))
PY
status=0
for mode in default gatekeeper; do
  values=$work/values-default.json; [ $mode = gatekeeper ] && values=$work/values-gatekeeper.json
  "$work/render-chart" "$chart" "$values" "$work/chart.json" gate verify-image > "$work/$mode.yaml"
  echo "check-chart.sh: $mode: rendered $(grep -c '^kind:' "$work/$mode.yaml") objects"
  "$venv/bin/python" - "$work/$mode.yaml" "$mode" <<'PY' || status=1
import subprocess, sys, yaml, os
path, mode = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
problems = []
def need(condition, what):
    if not condition: problems.append(what)
# Schemas: every object of a built-in API group; CRD kinds (cert-manager, Gatekeeper) have no schema there.
builtin = [d for d in docs if d["apiVersion"].split("/")[0] in ("v1", "apps", "policy", "autoscaling", "networking.k8s.io", "admissionregistration.k8s.io")]
crds = sorted({d["kind"] for d in docs} - {d["kind"] for d in builtin})
with open(path + ".builtin", "w") as f: yaml.safe_dump_all(builtin, f)
venv_bin = os.path.dirname(sys.executable)
result = subprocess.run([os.path.join(venv_bin, "kubernetes-validate"), "--strict", "--kubernetes-version", "1.31", path + ".builtin"],
                        capture_output=True, text=True)
print(result.stdout.strip()); print(result.stderr.strip(), file=sys.stderr)
need(result.returncode == 0, "kubernetes-validate refused the rendered objects")
deployment = by_kind["Deployment"][0]
spec = deployment["spec"]["template"]["spec"]
need(deployment["spec"]["replicas"] >= 2, "at least 2 replicas")
need("podAntiAffinity" in spec.get("affinity", {}), "pod anti-affinity")
need(spec["securityContext"].get("runAsNonRoot") is True, "pod runAsNonRoot")
container = spec["containers"][0]
need(container["securityContext"].get("readOnlyRootFilesystem") is True, "read-only root filesystem")
need(container["securityContext"].get("allowPrivilegeEscalation") is False, "no privilege escalation")
need("@sha256:" in container["image"], "own image pinned by digest")
need("PodDisruptionBudget" in by_kind and "HorizontalPodAutoscaler" in by_kind, "PDB and HPA")
need("NetworkPolicy" in by_kind and "Service" in by_kind and "ConfigMap" in by_kind, "NetworkPolicy, Service, policy ConfigMap")
for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
    for webhook in by_kind[kind][0]["webhooks"]:
        need(webhook["failurePolicy"] == "Fail", kind + " failurePolicy Fail")
        expressions = webhook["namespaceSelector"]["matchExpressions"]
        need(any(e["operator"] == "NotIn" and "verify-image" in e["values"] for e in expressions), kind + " excludes its own namespace")
        need(webhook["admissionReviewVersions"] == ["v1"], kind + " speaks admission.k8s.io/v1")
if mode == "gatekeeper":
    need({"Provider", "ConstraintTemplate", "K8sVerifyImage"} <= set(by_kind), "Gatekeeper Provider, ConstraintTemplate, Constraint")
    need(by_kind["Provider"][0]["spec"]["url"].endswith("/externaldata"), "Provider URL is /externaldata")
    need("--tls-client-ca=/etc/verify-image/client-ca/ca.crt" in container["args"], "mutual TLS for Gatekeeper")
    need(any(a.startswith("--key=") for a in container["args"]), "key from the policy ConfigMap")
else:
    need({"Certificate", "Issuer"} <= set(by_kind), "cert-manager Certificate and Issuer")
print(f"check-chart.sh: {mode}: {len(builtin)} objects valid against the Kubernetes schemas; CRD kinds not schema-checked: {', '.join(crds)}")
for p in problems: print(f"check-chart.sh: {mode}: MISSING {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
  "$bin" scan "$work/$mode.yaml" > "$work/$mode.scan" || { cat "$work/$mode.scan"; echo "check-chart.sh: $mode: the rendered chart runs an image not pinned by digest" >&2; status=1; }
done
"$bin" scan "$chart" --fail-on tag,implicit-latest,malformed-digest,placeholder-digest,inherited,error > "$work/chart.scan" \
  || { cat "$work/chart.scan"; echo "check-chart.sh: verify-image scan charts/verify-image failed" >&2; status=1; }
[ $status = 0 ] && echo "check-chart.sh: the chart passed"
exit $status
