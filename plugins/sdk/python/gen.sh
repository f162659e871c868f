#!/usr/bin/env bash
# Regenerates the protobuf and gRPC modules of tributary_sdk (tributary_sdk/_proto/,
# committed, so using the SDK needs only python3-grpcio and python3-protobuf). Needs, from
# Debian's apt:
#   protobuf-compiler libprotobuf-dev python3-grpc-tools
# Messages come from protoc 3.21 (matching python3-protobuf 4.21); services from
# grpc_tools' generator (its bundled protoc is too old to parse every proto3 feature, so
# it only writes the *_pb2_grpc.py files). Should a proto ever use proto3 `optional`, which
# that old parser rejects, generate the services with apt's protobuf-compiler-grpc instead:
#   protoc --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin --grpc_python_out=...
# The modules are flattened into one package and their imports of each other made
# relative, so the SDK puts no top-level "tributary" or "goplugin" package on sys.path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$here/tributary_sdk/_proto"
py=/usr/bin/python3

missing=()
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
[ -f /usr/include/google/protobuf/empty.proto ] || missing+=(libprotobuf-dev)
"$py" -c 'import grpc_tools.protoc' 2>/dev/null || missing+=(python3-grpc-tools)
if [ ${#missing[@]} -gt 0 ]; then
  echo "gen.sh: missing ${missing[*]}; install with: apt-get install ${missing[*]}" >&2
  exit 1
fi

protos=(tributary/plugin/v1/plugin.proto goplugin/health.proto goplugin/controller.proto)
includes=(-I "$root/proto" -I "$here/proto" -I /usr/include)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc "${includes[@]}" --python_out="$tmp" "${protos[@]}"
"$py" -m grpc_tools.protoc "${includes[@]}" --grpc_python_out="$tmp" "${protos[@]}"

rm -rf "$out"
mkdir -p "$out"
for f in $(cd "$tmp" && find . -name '*.py' | sort); do
  # "from tributary.plugin.v1 import plugin_pb2 as …" -> "from . import plugin_pb2 as …"
  sed -E 's/^from (tributary\.plugin\.v1|goplugin) import /from . import /' "$tmp/$f" >"$out/$(basename "$f")"
done
echo '"""Generated protobuf and gRPC modules (gen.sh); not part of the SDK'"'"'s API."""' >"$out/__init__.py"
echo "generated $(find "$out" -name '*.py' ! -name __init__.py | wc -l) modules in ${out#"$root"/}" >&2
