#!/usr/bin/env bash
# Builds tributary-pycounter as one executable file: tributary_sdk.pack zips src/ and the
# SDK (plugins/sdk/python) into a Python zip application with a #!/usr/bin/python3 line,
# so installing it is copying that file into a plugin directory.
# Usage: build.sh OUT   (e.g. build.sh bin/plugins/tributary-pycounter)
# Needs only /usr/bin/python3 (the SDK need not be installed); running the plugin needs
# python3-grpcio and python3-protobuf from apt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT}
py=/usr/bin/python3
if [ ! -x "$py" ]; then
  echo "build.sh: $py not found; skipping $out (apt-get install python3 python3-grpcio python3-protobuf)" >&2
  exit 0
fi
# PYTHONPATH wins over site-packages, so a pip-installed tributary_sdk cannot shadow the
# repository's (-s also skips the user's site); -B writes no __pycache__ into the tree.
PYTHONPATH="$here/../../sdk/python" exec "$py" -s -B -m tributary_sdk.pack "$here/src" "$out"
