"""The records tasks produce and receive, and a source's positions, as the Go SDK's
SourceRecord, SinkRecord, Partition and Offset. Plain Python: no protobuf here."""

import dataclasses
import datetime
import json
import typing

from .data import Schema

__all__ = ["SourceRecord", "SinkRecord", "Header", "TopicPartition", "Partition", "Offset",
           "CommittedOffset", "encode_source_map", "parse_source_map"]


@dataclasses.dataclass
class Header:
    """One record header: a key and a value with an optional schema."""

    key: str
    value: typing.Any = None
    schema: typing.Optional[Schema] = None


@dataclasses.dataclass(kw_only=True)
class SourceRecord:
    """One record a source task produces, as Kafka Connect's SourceRecord.

    source_partition names the part of the outside system the record comes from (a file,
    a table, a shard), e.g. Partition(filename="/var/log/app.log"); source_offset is the
    record's position in it, e.g. Offset(position=4096). Both are dicts of what JSON holds
    (str, int, float, bool, None); the task gets the last committed offset back from
    TaskContext.offset when it opens again. kafka_partition None lets the producer's
    partitioner choose (by key). timestamp None means none (the producer's clock); a naive
    datetime is taken as UTC."""

    source_partition: typing.Mapping[str, typing.Any]
    source_offset: typing.Mapping[str, typing.Any]
    topic: str = ""
    kafka_partition: typing.Optional[int] = None
    key: typing.Any = None
    key_schema: typing.Optional[Schema] = None
    value: typing.Any = None
    value_schema: typing.Optional[Schema] = None
    timestamp: typing.Optional[datetime.datetime] = None
    headers: typing.List[Header] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(kw_only=True)
class SinkRecord:
    """One record a sink task receives, consumed from Kafka, as Kafka Connect's
    SinkRecord. Its key, value and headers are as the connector's converters read them,
    as the Python values package data describes (without a schema: None, bool, int,
    float, str, bytes, list, and dict for maps and structs). timestamp is None when the
    record has none."""

    topic: str
    partition: int
    offset: int
    key: typing.Any = None
    key_schema: typing.Optional[Schema] = None
    value: typing.Any = None
    value_schema: typing.Optional[Schema] = None
    timestamp: typing.Optional[datetime.datetime] = None
    headers: typing.List[Header] = dataclasses.field(default_factory=list)


class TopicPartition(typing.NamedTuple):
    """A Kafka topic partition (hashable: the key of a sink's flush offsets)."""

    topic: str
    partition: int


class _SourceMap(dict):
    """A source partition or offset: a dict with typed getters, each returning None when
    the key is absent or holds another type."""

    def string(self, key):
        v = self.get(key)
        return v if isinstance(v, str) else None

    def int(self, key):
        """The integer at key; a float without a fraction (below 2^53) counts."""
        v = self.get(key)
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            return int(v)
        return None

    def float(self, key):
        v = self.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        return float(v)

    def bool(self, key):
        v = self.get(key)
        return v if isinstance(v, bool) else None


class Partition(_SourceMap):
    """A source partition: Kafka Connect's sourcePartition map, e.g.
    Partition(table="orders") or Partition({"file.name": "a.log"})."""


class Offset(_SourceMap):
    """A source offset: Kafka Connect's sourceOffset map, e.g. Offset(position=4096)."""


@dataclasses.dataclass(frozen=True)
class CommittedOffset:
    """A source partition's position the kernel has durably committed."""

    partition: Partition
    offset: Offset


_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def encode_source_map(m):
    """A source partition or offset as the JSON object bytes the protocol carries, as the
    Go SDK writes them (keys sorted, the characters <, >, & escaped): equal maps give equal
    bytes, also across SDKs."""
    s = json.dumps(dict(m), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if any(c in s for c in _GO_ESCAPES):
        s = "".join(_GO_ESCAPES.get(c, c) for c in s)
    return s.encode("utf-8")


def parse_source_map(b, cls=dict):
    """Decodes source partition or offset bytes (a JSON object) into a cls."""
    m = json.loads(bytes(b).decode("utf-8"))
    if not isinstance(m, dict):
        raise ValueError(f"source map {bytes(b)!r} is not a JSON object")
    return cls(m)


def same_source_map(a, b):
    """Whether two source maps hold the same content (as their JSON)."""
    try:
        return encode_source_map(a) == encode_source_map(b)
    except (TypeError, ValueError):
        return False
