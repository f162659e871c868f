"""tributary_sdk: write Tributary connector plugins in Python.

It mirrors the Go SDK (plugins/sdk). An author subclasses Connector and SourceTask or
SinkTask, declares the config keys with a ConfigDef, returns SourceRecords (or takes
SinkRecords) holding the values and schemas of tributary_sdk.data (Kafka Connect's data
model), and calls serve() from the plugin's __main__.py. `python3 -m tributary_sdk.pack
DIR OUT` (or `tributary-pack`) packs a connector directory and this SDK into one
executable plugin file. The SDK speaks the plugin protocol: hashicorp/go-plugin's
handshake with AutoMTLS, then the tributary.plugin.v1 services over gRPC.

Modules:

  config     ConfigDef, Config, ConfigError: config definitions and typed getters
  data       Schema, Struct and the logical types: the values records carry
  records    SourceRecord, SinkRecord, Header, TopicPartition, Partition, Offset
  connector  Connector, SourceTask, SinkTask, TaskContext, PollContext, TaskError
  server     serve(*connectors): run the plugin (imports grpc)
  pack       pack a connector directory into a plugin executable
  bootstrap  the handshake cookie and dependency checks (standard library only)

Importing this package, or any module but server and codec, needs neither grpc nor
protobuf: serve() checks that they are installed, and says how to install them, before
it imports them.
"""

import os as _os
import sys as _sys

from . import data
from .bootstrap import check as _check
from .config import (BOOLEAN, CLASS, DOUBLE, HIGH, INT, LIST, LONG, LOW, MEDIUM, PASSWORD, STRING,
                     Config, ConfigDef, ConfigError, ConfigErrors, ConfigType, Importance, is_worker_key)
from .connector import (SINK, SOURCE, Connector, ConnectorType, PollContext, SinkTask, SourceTask,
                        TaskContext, TaskError)
from .records import CommittedOffset, Header, Offset, Partition, SinkRecord, SourceRecord, TopicPartition

__version__ = "0.1.0"

# MAX_THREADS is serve()'s default bound on concurrent RPCs. Every open task's Poll holds
# a thread while it waits, and go-plugin's stdio stream holds one for the life of the
# process.
MAX_THREADS = 64


def serve(*connectors, name=None, max_threads=MAX_THREADS):
    """Serves connectors (Connector instances) to the kernel until it stops the plugin,
    then exits the process. name is the executable's name for messages (default: from
    sys.argv[0]); max_threads bounds concurrent RPCs: allow at least two per task the
    plugin runs at once.

    Exits with status 1 and an explanation when run by hand (without the kernel's
    handshake cookie), when python3-grpcio or python3-protobuf is missing, or when the
    connectors are misdeclared. Also stops, after closing the open tasks, on SIGTERM or
    when the kernel process has gone."""
    name = name or _os.path.basename(_sys.argv[0]) or "plugin"
    if name == "__main__.py":  # a zip application or a directory run with python3 DIR
        name = _os.path.basename(_os.path.dirname(_os.path.abspath(_sys.argv[0]))) or "plugin"
    _check(name)  # before importing grpc, so a missing one is explained
    from . import server

    server.serve(*connectors, name=name, max_threads=max_threads)


__all__ = [
    "serve", "data", "MAX_THREADS",
    "Connector", "ConnectorType", "SOURCE", "SINK", "SourceTask", "SinkTask", "TaskContext",
    "PollContext", "TaskError",
    "ConfigDef", "Config", "ConfigError", "ConfigErrors", "ConfigType", "Importance",
    "is_worker_key", "STRING", "INT", "LONG", "DOUBLE", "BOOLEAN", "LIST", "PASSWORD", "CLASS",
    "HIGH", "MEDIUM", "LOW",
    "SourceRecord", "SinkRecord", "Header", "TopicPartition", "Partition", "Offset",
    "CommittedOffset",
]
