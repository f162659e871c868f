"""A small SDK for writing Tributary connector plugins in Python.

It speaks the same protocol as the Go SDK (plugins/sdk): hashicorp/go-plugin's handshake
with AutoMTLS, then the tributary.plugin.v1 services over gRPC. Modules:

  bootstrap  the handshake cookie and dependency checks (standard library only)
  config     ConfigDef, Config, ConfigError: config definitions and parsing
  values     building and reading protocol Values, source partition/offset JSON
  connector  Connector, SourceTask, SinkTask, TaskContext, PollContext: what you implement
  server     serve(*connectors): run the plugin

Importing this package only puts the generated protobuf modules (../gen) on sys.path; it
imports neither grpc nor protobuf, so bootstrap can explain what is missing first.
"""

import os as _os
import sys as _sys

_gen = _os.path.join(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))), "gen")
if _gen not in _sys.path:
    _sys.path.insert(0, _gen)
