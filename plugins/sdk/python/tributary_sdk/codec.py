"""Between the author's types and the protocol's messages: SourceRecords to
pb.Records (checking each value against its schema), pb.Records to SinkRecords, schemas
and config definitions both ways. The server's business; authors never need it."""

import datetime
import decimal

from . import data
from ._proto import plugin_pb2 as pb
from .data import DataError, Type
from .records import CommittedOffset, Offset, Partition, SinkRecord, Header, encode_source_map, parse_source_map


# ---- config and descriptors ----

def config_keys(config_def):
    """The definition's keys as protocol ConfigKeys, in definition order."""
    return [pb.ConfigKey(name=k.name, type=int(k.type), importance=int(k.importance),
                         documentation=k.documentation, required=k.required,
                         default_value=k.default_value, has_default=k.has_default,
                         secret=k.secret, group=k.group, display_name=k.display_name)
            for k in (config_def.keys() if config_def is not None else [])]


def descriptor(c):
    return pb.ConnectorDescriptor(
        name=c.name, type=int(c.type), version=c.version, aliases=list(c.aliases),
        description=c.description, config=config_keys(c.config_def))


# ---- Python values to protocol Values ----

def _at(at, msg):
    return DataError(f"{at}: {msg}")


def _mismatch(at, want, v):
    return _at(at, f"expected {want}, got {type(v).__name__}")


def _int_value(n):
    return pb.Value(int_value=n)


def value_of(s, v, at):
    """The protocol Value holding v, converted as schema s says (None: by v's Python
    type); None for a null."""
    if v is None:
        if data.is_optional(s) or s.default is not None:
            return None
        raise _at(at, "a value is required (the schema is not optional)")
    if s is None:
        return _untyped(v, at)
    if s.name == data.DECIMAL_NAME:
        if not isinstance(v, decimal.Decimal):
            raise _mismatch(at, "decimal.Decimal", v)
        try:
            n = data.unscaled(v, data.schema_scale(s))
        except DataError as e:
            raise _at(at, str(e)) from None
        return pb.Value(bytes_value=data.twos_complement(n))
    if s.name == data.DATE_NAME and isinstance(v, datetime.date):
        return _int_value(data.date_days(v))
    if s.name == data.TIME_NAME and isinstance(v, (datetime.time, datetime.datetime)):
        return _int_value(data.time_millis(v))
    if s.name == data.TIMESTAMP_NAME and isinstance(v, datetime.datetime):
        return _int_value(data.timestamp_millis(v))
    t = s.type
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        if not data.is_int(v):
            raise _mismatch(at, t.name, v)
        bits = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}[t]
        if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
            raise _at(at, f"{v} is out of range for {t.name}")
        return _int_value(v)
    if t in (Type.FLOAT32, Type.FLOAT64):
        if isinstance(v, bool) or not isinstance(v, (float, int)):
            raise _mismatch(at, t.name, v)
        return pb.Value(double_value=float(v))
    if t == Type.BOOLEAN:
        if not isinstance(v, bool):
            raise _mismatch(at, "BOOLEAN", v)
        return pb.Value(bool_value=v)
    if t == Type.STRING:
        if not isinstance(v, str):
            raise _mismatch(at, "STRING", v)
        return pb.Value(string_value=v)
    if t == Type.BYTES:
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise _mismatch(at, "BYTES", v)
        return pb.Value(bytes_value=bytes(v))
    if t == Type.ARRAY:
        if not isinstance(v, (list, tuple)):
            raise _mismatch(at, "ARRAY (list)", v)
        return _list(s.value, v, at)
    if t == Type.MAP:
        if not isinstance(v, dict):
            raise _mismatch(at, "MAP (dict)", v)
        return _map(s.key, s.value, v, at)
    if t == Type.STRUCT:
        if not isinstance(v, data.Struct):
            raise _mismatch(at, "STRUCT (Struct)", v)
        if not data._same_struct(v.schema, s):
            raise _at(at, f"struct of schema {v.schema.name!r} where the schema is {s.name!r}")
        return _struct(v, at)
    raise _at(at, f"schema has no valid type ({t})")


def _untyped(v, at):
    if isinstance(v, str):
        return pb.Value(string_value=v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return pb.Value(bytes_value=bytes(v))
    if isinstance(v, bool):
        return pb.Value(bool_value=v)
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 63):
            raise _at(at, f"{v} does not fit a 64-bit integer")
        return _int_value(v)
    if isinstance(v, float):
        return pb.Value(double_value=v)
    if isinstance(v, (list, tuple)):
        return _list(None, v, at)
    if isinstance(v, dict):
        return _map(None, None, v, at)
    if isinstance(v, data.Struct):
        return _struct(v, at)
    if isinstance(v, datetime.datetime):
        return _int_value(data.timestamp_millis(v))
    if isinstance(v, datetime.date):
        return _int_value(data.date_days(v))
    if isinstance(v, datetime.time):
        return _int_value(data.time_millis(v))
    if isinstance(v, decimal.Decimal):
        _, _, exp = v.as_tuple()
        return pb.Value(bytes_value=data.twos_complement(data.unscaled(v, max(-exp, 0))))
    raise _at(at, f"a {type(v).__name__} cannot be a record value (see tributary_sdk.data for the Python types of values)")


def _set(msg_value, v):
    if v is not None:
        msg_value.CopyFrom(v)


def _list(elem, items, at):
    out = pb.List()
    for i, item in enumerate(items):
        pv = out.values.add()
        _set(pv, value_of(elem, item, f"{at}[{i}]"))
    return pb.Value(list_value=out)


def _map(ks, vs, m, at):
    out = pb.Map()
    for i, (k, v) in enumerate(m.items()):
        e = out.entries.add()
        _set(e.key, value_of(ks, k, f"{at}[{i}].key"))
        _set(e.value, value_of(vs, v, f"{at}.{k}" if isinstance(k, str) else f"{at}[{i}]"))
    return pb.Value(map_value=out)


def _struct(st, at):
    out = pb.Struct()
    for f in st.schema.fields:
        v = st.at(f.index)
        pf = out.fields.add(name=f.name)
        if v is None:
            if not data.is_optional(f.schema):
                raise _at(f"{at}.{f.name}", "a value is required (the field is not optional)")
            continue
        _set(pf.value, value_of(f.schema, v, f"{at}.{f.name}"))
    return pb.Value(struct_value=out)


def schema_pb(s):
    """The protocol Schema of s."""
    out = pb.Schema(type=int(s.type), optional=s.optional, name=s.name, version=s.version, doc=s.doc)
    for k, v in s.parameters:
        out.parameters[k] = v
    if s.default is not None:
        # A default that does not fit its schema is dropped rather than failing every
        # record, as the Go SDK does; validate reports it.
        try:
            d = value_of(_without_default(s), s.default, "default")
        except DataError:
            d = None
        if d is not None:
            out.default_value.CopyFrom(d)
    for f in s.fields:
        pf = out.fields.add(name=f.name)
        if f.schema is not None:
            pf.schema.CopyFrom(schema_pb(f.schema))
    if s.key is not None:
        out.key_schema.CopyFrom(schema_pb(s.key))
    if s.value is not None:
        out.value_schema.CopyFrom(schema_pb(s.value))
    return out


def _without_default(s):
    import dataclasses
    return dataclasses.replace(s, default=None)


class RecordEncoder:
    """Turns a source task's SourceRecords into protocol Records. Schemas shared by the
    records of a batch (the same object) are converted once per batch."""

    def __init__(self):
        self._schemas = {}

    def _schema(self, s):
        key = id(s)
        hit = self._schemas.get(key)
        if hit is not None and hit[0] is s:
            return hit[1]
        p = schema_pb(s)
        self._schemas[key] = (s, p)
        return p

    def records(self, recs):
        self._schemas.clear()
        out = []
        for i, r in enumerate(recs):
            try:
                out.append(self.record(r))
            except DataError as e:
                raise DataError(f"record {i} of the batch (topic {getattr(r, 'topic', '')!r}): {e}") from None
        return out

    def record(self, r):
        from .records import SourceRecord
        if not isinstance(r, SourceRecord):
            raise DataError(f"a {type(r).__name__} is not a SourceRecord")
        p = pb.Record(topic=r.topic, partition=-1 if r.kafka_partition is None else int(r.kafka_partition))
        if r.key is not None:
            p.key.CopyFrom(value_of(r.key_schema, r.key, "key"))
        elif not data.is_optional(r.key_schema):
            raise DataError("key: a value is required (the schema is not optional)")
        if r.key_schema is not None:
            p.key_schema.CopyFrom(self._schema(r.key_schema))
        if r.value is not None:
            p.value.CopyFrom(value_of(r.value_schema, r.value, "value"))
        elif not data.is_optional(r.value_schema):
            raise DataError("value: a value is required (the schema is not optional)")
        if r.value_schema is not None:
            p.value_schema.CopyFrom(self._schema(r.value_schema))
        for h in r.headers:
            ph = p.headers.add(key=h.key)
            hv = value_of(h.schema, h.value, "header " + h.key)
            if hv is not None:
                ph.value.CopyFrom(hv)
            if h.schema is not None:
                ph.schema.CopyFrom(self._schema(h.schema))
        if r.timestamp is not None:
            if not isinstance(r.timestamp, datetime.datetime):
                raise DataError(f"timestamp: expected datetime.datetime, got {type(r.timestamp).__name__}")
            p.timestamp_ms = data.timestamp_millis(r.timestamp)
        if r.source_partition is None or r.source_offset is None:
            raise DataError("every source record needs a source_partition and a source_offset")
        try:
            p.source_partition = encode_source_map(r.source_partition)
        except (TypeError, ValueError) as e:
            raise DataError(f"source partition: {e}") from None
        try:
            p.source_offset = encode_source_map(r.source_offset)
        except (TypeError, ValueError) as e:
            raise DataError(f"source offset: {e}") from None
        return p


# ---- protocol to Python ----

def schema_of(s):
    """The data.Schema of a protocol Schema (None for none)."""
    if s is None:
        return None
    try:
        t = Type(s.type)
    except ValueError:
        raise DataError(f"schema has no valid type ({s.type})") from None
    no_default = data.Schema(
        type=t, optional=s.optional, name=s.name,
        version=s.version, doc=s.doc, parameters=dict(s.parameters),
        fields=tuple(data.Field(f.name, i, schema_of(f.schema) if f.HasField("schema") else None)
                     for i, f in enumerate(s.fields)),
        key=schema_of(s.key_schema) if s.HasField("key_schema") else None,
        value=schema_of(s.value_schema) if s.HasField("value_schema") else None)
    if s.HasField("default_value") and s.default_value.WhichOneof("kind"):
        try:
            return no_default.with_default(python_of(s.default_value, no_default))
        except DataError:
            pass
    return no_default


def _kind_mismatch(s, kind):
    return DataError(f"a {kind} value does not fit its {s.type.name} schema {s.name}")


def python_of(v, s):
    """The Python value of protocol Value v, as schema s calls for (see package data);
    without a schema, by its kind (structs become dicts)."""
    if v is None:
        return None
    kind = v.WhichOneof("kind")
    if kind is None:
        return None
    if s is None:
        return _untyped_of(v)
    if s.name == data.DECIMAL_NAME:
        scale = data.schema_scale(s)
        if kind != "bytes_value":
            raise _kind_mismatch(s, kind)
        return data.decimal_of(data.from_twos_complement(v.bytes_value), scale)
    if s.name in (data.DATE_NAME, data.TIME_NAME, data.TIMESTAMP_NAME):
        if kind != "int_value":
            raise _kind_mismatch(s, kind)
        n = v.int_value
        if s.name == data.DATE_NAME:
            return data.date_of(n)
        if s.name == data.TIME_NAME:
            return data.time_of(n)
        return data.timestamp_of(n)
    t = s.type
    if kind == "int_value" and t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return v.int_value
    if kind == "double_value" and t in (Type.FLOAT32, Type.FLOAT64):
        return v.double_value
    if kind == "bool_value" and t == Type.BOOLEAN:
        return v.bool_value
    if kind == "string_value" and t == Type.STRING:
        return v.string_value
    if kind == "bytes_value" and t == Type.BYTES:
        return v.bytes_value
    if kind == "list_value" and t == Type.ARRAY:
        out = []
        for i, item in enumerate(v.list_value.values):
            try:
                out.append(python_of(item, s.value))
            except DataError as e:
                raise DataError(f"[{i}]: {e}") from None
        return out
    if kind == "map_value" and t == Type.MAP:
        return _map_of(v.map_value, s.key, s.value)
    if kind == "struct_value" and t == Type.STRUCT:
        st = data.Struct(s)
        for f in v.struct_value.fields:
            sf = s.field(f.name)
            if sf is None:
                raise DataError(f"struct {s.name} has no field {f.name!r}")
            try:
                st.put_at(sf.index, python_of(f.value, sf.schema) if f.HasField("value") else None)
            except DataError as e:
                raise DataError(f"{f.name}: {e}") from None
        return st
    raise _kind_mismatch(s, kind)


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(x) for x in k)
    if isinstance(k, dict):
        return tuple((a, _hashable(b)) for a, b in k.items())
    return k


def _map_of(m, ks, vs):
    out = {}
    for i, e in enumerate(m.entries):
        try:
            k = _hashable(python_of(e.key, ks) if e.HasField("key") else None)
        except DataError as ex:
            raise DataError(f"[{i}].key: {ex}") from None
        try:
            out[k] = python_of(e.value, vs) if e.HasField("value") else None
        except DataError as ex:
            raise DataError(f"{k}: {ex}") from None
        except TypeError:
            raise DataError(f"[{i}].key: a {type(k).__name__} cannot be a dict key") from None
    return out


def _untyped_of(v):
    kind = v.WhichOneof("kind")
    if kind is None:
        return None
    if kind == "list_value":
        return [_untyped_of(x) for x in v.list_value.values]
    if kind == "map_value":
        return _map_of(v.map_value, None, None)
    if kind == "struct_value":
        return {f.name: _untyped_of(f.value) for f in v.struct_value.fields}
    return getattr(v, kind)


class RecordDecoder:
    """Turns the protocol's records into SinkRecords. Equal schemas of one batch are
    converted once."""

    def __init__(self):
        self._schemas = {}

    def _schema(self, r, name):
        if not r.HasField(name):
            return None
        p = getattr(r, name)
        key = p.SerializeToString(deterministic=True)
        s = self._schemas.get(key)
        if s is None:
            s = self._schemas[key] = schema_of(p)
        return s

    def records(self, recs):
        self._schemas.clear()
        return [self.record(r) for r in recs]

    def record(self, r):
        try:
            return self._record(r)
        except DataError as e:
            raise DataError(f"record {r.topic}-{r.partition}@{r.kafka_offset}: {e}") from None

    def _record(self, r):
        out = SinkRecord(topic=r.topic, partition=r.partition, offset=r.kafka_offset)
        if r.timestamp_ms:
            out.timestamp = data.timestamp_of(r.timestamp_ms)
        out.key_schema = self._schema(r, "key_schema")
        out.value_schema = self._schema(r, "value_schema")
        try:
            out.key = python_of(r.key, out.key_schema) if r.HasField("key") else None
        except DataError as e:
            raise DataError(f"key: {e}") from None
        try:
            out.value = python_of(r.value, out.value_schema) if r.HasField("value") else None
        except DataError as e:
            raise DataError(f"value: {e}") from None
        for h in r.headers:
            try:
                hs = self._schema(h, "schema")
                hv = python_of(h.value, hs) if h.HasField("value") else None
            except DataError as e:
                raise DataError(f"header {h.key}: {e}") from None
            out.headers.append(Header(h.key, hv, hs))
        return out


def committed_offsets(offsets):
    """The CommittedOffsets of protocol SourceOffsets, skipping partitions in a form this
    SDK does not read (another tool's); an offset that is not a JSON object raises
    ValueError."""
    out = []
    for o in offsets:
        try:
            p = parse_source_map(o.partition, Partition)
        except ValueError:
            continue
        try:
            off = parse_source_map(o.offset, Offset)
        except ValueError as e:
            raise ValueError(f"committed offset of source partition {bytes(o.partition)!r}: {e}") from None
        out.append(CommittedOffset(p, off))
    return out
