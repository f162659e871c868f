#!/usr/bin/env bash
# Installs the pinned developer tools (buf, protoc plugins, grpcurl, versitygw) into a cache directory
# and prints nothing but errors. Builds take minutes the first time; later runs are no-ops.
# Usage: scripts/install-tools.sh [tool...]   (default: all). Tools land in $TOOLS_BIN.
set -euo pipefail
TOOLS_BIN=${TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary/bin}
mkdir -p "$TOOLS_BIN"

declare -A PKG=(
  [buf]=github.com/bufbuild/buf/cmd/buf@v1.75.0
  [protoc-gen-go]=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
  [protoc-gen-go-grpc]=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
  [protoc-gen-go-vtproto]=github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto@v0.6.1-0.20240319094008-0393e58bdf10
  [grpcurl]=github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
  # versitygw: the S3 server the S3 sink's tests run against (plugins/testsvc.StartS3).
  [versitygw]=github.com/versity/versitygw/cmd/versitygw@v1.8.0
)
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(buf protoc-gen-go protoc-gen-go-grpc protoc-gen-go-vtproto grpcurl versitygw)
for t in "${want[@]}"; do
  pkg=${PKG[$t]:?unknown tool $t}
  stamp="$TOOLS_BIN/.$t.version"
  if [ -x "$TOOLS_BIN/$t" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg" ]; then continue; fi
  echo "installing $pkg" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS= go install "$pkg"
  echo "$pkg" >"$stamp"
done
