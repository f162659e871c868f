"""Building and reading the protocol's data model: Value, Schema, Record, and the JSON
source partitions and offsets a source task attaches to its records."""

import base64
import json

from tributary.plugin.v1 import plugin_pb2 as pb

Record = pb.Record
Schema = pb.Schema
Value = pb.Value


def null():
    return pb.Value()


def string(s):
    return pb.Value(string_value=s)


def bytes_(b):
    return pb.Value(bytes_value=b)


def int64(i):
    return pb.Value(int_value=i)


def double(f):
    return pb.Value(double_value=f)


def boolean(b):
    return pb.Value(bool_value=b)


def from_python(obj):
    """A Value for a Python object: None, bool, int, float, str, bytes, list/tuple, and
    dict (a struct when every key is a str, else a map)."""
    if obj is None:
        return pb.Value()
    if isinstance(obj, bool):
        return pb.Value(bool_value=obj)
    if isinstance(obj, int):
        return pb.Value(int_value=obj)
    if isinstance(obj, float):
        return pb.Value(double_value=obj)
    if isinstance(obj, str):
        return pb.Value(string_value=obj)
    if isinstance(obj, (bytes, bytearray)):
        return pb.Value(bytes_value=bytes(obj))
    if isinstance(obj, (list, tuple)):
        return pb.Value(list_value=pb.List(values=[from_python(v) for v in obj]))
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return pb.Value(struct_value=pb.Struct(
                fields=[pb.Field(name=k, value=from_python(v)) for k, v in obj.items()]))
        return pb.Value(map_value=pb.Map(
            entries=[pb.MapEntry(key=from_python(k), value=from_python(v)) for k, v in obj.items()]))
    raise TypeError(f"cannot make a Value of {type(obj).__name__}")


def to_python(v):
    """The Python object of a Value: None, bool, int, float, str, bytes, list, or dict
    (structs keep field order; map keys that are not hashable become their repr)."""
    if v is None:
        return None
    kind = v.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "struct_value":
        return {f.name: to_python(f.value) for f in v.struct_value.fields}
    if kind == "list_value":
        return [to_python(x) for x in v.list_value.values]
    if kind == "map_value":
        out = {}
        for e in v.map_value.entries:
            k = to_python(e.key)
            try:
                hash(k)
            except TypeError:
                k = repr(k)
            out[k] = to_python(e.value)
        return out
    return getattr(v, kind)


def to_text(v):
    """A Value as one line of text: strings as they are, bytes decoded as UTF-8 (base64
    when they are not), null as "null", anything else as JSON."""
    obj = to_python(v)
    if isinstance(obj, str):
        return obj
    if isinstance(obj, bytes):
        try:
            return obj.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(obj).decode("ascii")
    return json.dumps(obj, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _json_default(o):
    if isinstance(o, bytes):
        return base64.b64encode(o).decode("ascii")
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def primitive_schema(type_, optional=False):
    """A schema of a primitive type, e.g. primitive_schema(Schema.TYPE_STRING)."""
    return pb.Schema(type=type_, optional=optional)


def source_map(m):
    """Encodes a source partition or offset (Kafka Connect's sourcePartition /
    sourceOffset maps) as the JSON object bytes the protocol carries. Keys are sorted, so
    equal maps give equal bytes."""
    return json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_source_map(b):
    """Decodes source partition or offset bytes into a dict."""
    m = json.loads(bytes(b).decode("utf-8"))
    if not isinstance(m, dict):
        raise ValueError(f"source map {bytes(b)!r} is not a JSON object")
    return m


def find_offset(offsets, partition):
    """The decoded offset committed for partition (a dict) among offsets (the
    SourceOffsets a source task's open receives), comparing partitions by JSON content;
    None when there is none."""
    for o in offsets:
        try:
            p = parse_source_map(o.partition)
        except ValueError:
            continue  # another task's partition in a format we do not read
        if p == partition:
            return parse_source_map(o.offset)
    return None
