"""Generated protobuf and gRPC modules (gen.sh); not part of the SDK's API."""
