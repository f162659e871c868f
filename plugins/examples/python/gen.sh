#!/usr/bin/env bash
# Regenerates the Python code for the protos into src/gen/ (committed, so running the
# plugin needs only python3-grpcio and python3-protobuf). Needs, from Debian's apt:
#   protobuf-compiler libprotobuf-dev python3-grpc-tools
# Messages come from protoc 3.21 (matching python3-protobuf 4.21); services from
# grpc_tools' generator (its bundled protoc is too old to parse every proto3 feature, so
# it only writes the *_pb2_grpc.py files). Should a proto ever use proto3 `optional`, which
# that old parser rejects, generate the services with apt's protobuf-compiler-grpc instead:
#   protoc --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin --grpc_python_out=...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$here/src/gen"
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

rm -rf "$out"
mkdir -p "$out"
protoc "${includes[@]}" --python_out="$out" "${protos[@]}"
"$py" -m grpc_tools.protoc "${includes[@]}" --grpc_python_out="$out" "${protos[@]}"
# Regular packages, so the imports work from a zip archive too.
find "$out" -mindepth 1 -type d -exec touch {}/__init__.py \;
echo "generated $(find "$out" -name '*.py' ! -name __init__.py | wc -l) modules in ${out#"$root"/}" >&2
