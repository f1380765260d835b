#!/usr/bin/env bash
# Runs theupdateframework/tuf-conformance (vendored in testdata/tuf/tuf-conformance, see its ORIGIN.txt) against
# the verify-image-tuf-client executable. Needs python3 (with venv) and faketime; the suite's pinned Python
# dependencies are installed once into .build/tuf-conformance-env.
# Usage: scripts/tuf-conformance.sh [extra pytest arguments, e.g. -k test_root_rotation]   (after `swift build`)
#        scripts/tuf-conformance.sh --setup-only      (just the Python environment; test.sh runs it during the build)
set -euo pipefail
cd "$(dirname "$0")/.."
suite=testdata/tuf/tuf-conformance
env=.build/tuf-conformance-env

# The suite's own pins (pyproject.toml [project].dependencies), so they live in one place.
if [ ! -x "$env/bin/pytest" ] || [ "$suite/pyproject.toml" -nt "$env/pyvenv.cfg" ]; then
  python3 -m venv "$env"
  mapfile -t deps < <(python3 -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' "$suite/pyproject.toml")
  "$env/bin/pip" install --quiet --disable-pip-version-check "${deps[@]}"
fi

[ "${1:-}" = "--setup-only" ] && exit 0

client="$(swift build --show-bin-path)/verify-image-tuf-client"
[ -x "$client" ] || { echo "tuf-conformance.sh: $client is missing; run swift build first" >&2; exit 1; }
command -v faketime >/dev/null || { echo "tuf-conformance.sh: faketime is missing (apt-get install faketime)" >&2; exit 1; }

# No .xfails file: every test must pass. Nothing is written into testdata (no bytecode, no pytest cache).
export PYTHONDONTWRITEBYTECODE=1
exec "$env/bin/pytest" -q -p no:cacheprovider --rootdir "$suite" "$suite/tuf_conformance" --entrypoint "$client" "$@"
