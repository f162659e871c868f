#!/usr/bin/env bash
# Builds tributary-pycounter as one executable file — a Python zip application of src/
# with a #!/usr/bin/python3 line — so installing it is copying that file into a plugin
# directory. Usage: build.sh OUT   (e.g. build.sh bin/plugins/tributary-pycounter)
# Needs only /usr/bin/python3 (zipapp is in the standard library); running it needs
# python3-grpcio and python3-protobuf from apt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT}
py=/usr/bin/python3
if [ ! -x "$py" ]; then
  echo "build.sh: $py not found; skipping $out (apt-get install python3 python3-grpcio python3-protobuf)" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
"$py" - "$here/src" "$tmp" <<'PY'
import sys, zipapp
src, out = sys.argv[1], sys.argv[2]
zipapp.create_archive(
    src, out, interpreter="/usr/bin/python3", compressed=True,
    filter=lambda p: "__pycache__" not in p.parts and p.suffix != ".pyc")
PY
chmod 755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
