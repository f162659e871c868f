"""Kafka Connect's data model for connector authors, as the Go SDK's package data:
schemas (Schema, built from the predefined ones with struct_of, array_of, map_of,
optional and the with_* methods), the logical types Decimal, Date, Time and Timestamp,
structs (Struct), and the Python values that stand for each schema type:

    INT8, INT16, INT32, INT64   int (in the type's range)
    FLOAT32, FLOAT64            float (an int is accepted too)
    BOOLEAN                     bool
    STRING                      str
    BYTES                       bytes (bytearray and memoryview are accepted too)
    ARRAY                       list (or tuple)
    MAP                         dict
    STRUCT                      Struct
    Decimal (BYTES)             decimal.Decimal
    Date (INT32)                datetime.date
    Time (INT32)                datetime.time
    Timestamp (INT64)           datetime.datetime

and None for an absent optional value. Naive datetimes and times are taken as UTC.
validate(schema, value) checks a value against its schema; to_json and to_text write a
value as JSON or as a line of text. Plain Python: nothing here knows the plugin protocol.
"""

import base64
import dataclasses
import datetime
import decimal
import enum
import json
import math

__all__ = [
    "Type", "Schema", "Field", "Struct", "DataError", "field", "struct_of", "array_of", "map_of",
    "optional", "validate", "to_json", "to_text", "decimal_schema", "schema_scale",
    "DECIMAL_NAME", "DATE_NAME", "TIME_NAME", "TIMESTAMP_NAME", "DECIMAL_SCALE",
    "DATE_SCHEMA", "TIME_SCHEMA", "TIMESTAMP_SCHEMA",
    "INT8_SCHEMA", "INT16_SCHEMA", "INT32_SCHEMA", "INT64_SCHEMA", "FLOAT32_SCHEMA",
    "FLOAT64_SCHEMA", "BOOLEAN_SCHEMA", "STRING_SCHEMA", "BYTES_SCHEMA",
    "OPTIONAL_INT8_SCHEMA", "OPTIONAL_INT16_SCHEMA", "OPTIONAL_INT32_SCHEMA",
    "OPTIONAL_INT64_SCHEMA", "OPTIONAL_FLOAT32_SCHEMA", "OPTIONAL_FLOAT64_SCHEMA",
    "OPTIONAL_BOOLEAN_SCHEMA", "OPTIONAL_STRING_SCHEMA", "OPTIONAL_BYTES_SCHEMA",
]


class DataError(ValueError):
    """A value that does not fit its schema, or a misbuilt schema."""


class Type(enum.IntEnum):
    """A schema type, as Kafka Connect's Schema.Type. The values are the protocol's."""

    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    FLOAT32 = 5
    FLOAT64 = 6
    BOOLEAN = 7
    STRING = 8
    BYTES = 9
    ARRAY = 10
    MAP = 11
    STRUCT = 12


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a struct schema."""

    name: str
    index: int
    schema: "Schema"


@dataclasses.dataclass(frozen=True, eq=True)
class Schema:
    """Describes a value, as Kafka Connect's Schema. Schemas are immutable: the with_*
    methods and optional() return changed copies.

    name names a struct, or a logical type on top of a primitive one (e.g. DECIMAL_NAME);
    default is the value of an absent optional field; fields are a struct's; key is a
    map's key schema; value a map's value schema or an array's element schema."""

    type: Type
    optional: bool = False
    name: str = ""
    version: int = 0
    doc: str = ""
    parameters: tuple = ()  # sorted (key, value) pairs; see params
    default: object = None
    fields: tuple = ()
    key: "Schema" = None
    value: "Schema" = None

    def __post_init__(self):
        object.__setattr__(self, "type", Type(self.type))
        if isinstance(self.parameters, dict):
            object.__setattr__(self, "parameters", tuple(sorted(self.parameters.items())))
        fs = tuple(f if isinstance(f, Field) else Field(f[0], i, f[1]) for i, f in enumerate(self.fields))
        for i, f in enumerate(fs):
            if f.index != i:
                fs = tuple(Field(f.name, i, f.schema) for i, f in enumerate(fs))
                break
        object.__setattr__(self, "fields", fs)

    @property
    def params(self):
        """The parameters as a dict."""
        return dict(self.parameters)

    def with_name(self, name):
        return dataclasses.replace(self, name=name)

    def with_version(self, version):
        return dataclasses.replace(self, version=version)

    def with_doc(self, doc):
        return dataclasses.replace(self, doc=doc)

    def with_default(self, value):
        return dataclasses.replace(self, default=value)

    def with_parameter(self, key, value):
        p = self.params
        p[key] = value
        return dataclasses.replace(self, parameters=tuple(sorted(p.items())))

    def field(self, name):
        """The struct field called name, or None."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def __repr__(self):
        parts = [self.type.name]
        if self.name:
            parts.append(repr(self.name))
        if self.optional:
            parts.append("optional")
        return f"Schema({' '.join(parts)})"


def is_optional(s):
    """Whether s allows a null value; no schema (None) does."""
    return s is None or s.optional


def field(name, schema):
    """A struct field for struct_of."""
    return Field(name, 0, schema)


def struct_of(name, *fields):
    """A required struct schema named name with the given fields (field(name, schema) or
    (name, schema) pairs), in order."""
    return Schema(Type.STRUCT, name=name, fields=tuple(fields))


def array_of(elem):
    """A required array schema of elem."""
    return Schema(Type.ARRAY, value=elem)


def map_of(key, value):
    """A required map schema."""
    return Schema(Type.MAP, key=key, value=value)


def optional(s):
    """A copy of s that is optional."""
    return dataclasses.replace(s, optional=True)


INT8_SCHEMA = Schema(Type.INT8)
INT16_SCHEMA = Schema(Type.INT16)
INT32_SCHEMA = Schema(Type.INT32)
INT64_SCHEMA = Schema(Type.INT64)
FLOAT32_SCHEMA = Schema(Type.FLOAT32)
FLOAT64_SCHEMA = Schema(Type.FLOAT64)
BOOLEAN_SCHEMA = Schema(Type.BOOLEAN)
STRING_SCHEMA = Schema(Type.STRING)
BYTES_SCHEMA = Schema(Type.BYTES)
OPTIONAL_INT8_SCHEMA = optional(INT8_SCHEMA)
OPTIONAL_INT16_SCHEMA = optional(INT16_SCHEMA)
OPTIONAL_INT32_SCHEMA = optional(INT32_SCHEMA)
OPTIONAL_INT64_SCHEMA = optional(INT64_SCHEMA)
OPTIONAL_FLOAT32_SCHEMA = optional(FLOAT32_SCHEMA)
OPTIONAL_FLOAT64_SCHEMA = optional(FLOAT64_SCHEMA)
OPTIONAL_BOOLEAN_SCHEMA = optional(BOOLEAN_SCHEMA)
OPTIONAL_STRING_SCHEMA = optional(STRING_SCHEMA)
OPTIONAL_BYTES_SCHEMA = optional(BYTES_SCHEMA)

# ---- logical types ----

DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"
# DECIMAL_SCALE is the Decimal schema's parameter holding its scale.
DECIMAL_SCALE = "scale"

# Kafka Connect's Date.SCHEMA (days since the epoch), Time.SCHEMA (milliseconds since
# midnight) and Timestamp.SCHEMA (milliseconds since the epoch), all in UTC.
DATE_SCHEMA = Schema(Type.INT32, name=DATE_NAME, version=1)
TIME_SCHEMA = Schema(Type.INT32, name=TIME_NAME, version=1)
TIMESTAMP_SCHEMA = Schema(Type.INT64, name=TIMESTAMP_NAME, version=1)

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_DAY_MS = 24 * 60 * 60 * 1000


def decimal_schema(scale):
    """The schema of decimals with the given scale, as Kafka Connect's
    Decimal.schema(scale): BYTES holding the two's-complement big-endian unscaled value."""
    return Schema(Type.BYTES, name=DECIMAL_NAME, version=1, parameters={DECIMAL_SCALE: str(int(scale))})


def schema_scale(s):
    """The scale of a Decimal schema."""
    p = s.params.get(DECIMAL_SCALE)
    if p is None:
        raise DataError(f'Decimal schema has no "{DECIMAL_SCALE}" parameter')
    try:
        return int(p)
    except ValueError:
        raise DataError(f"Decimal schema's scale {p!r} is not an integer") from None


def unscaled(d, scale):
    """The unscaled integer of decimal d at scale (d × 10^scale), or DataError if that
    would need rounding."""
    if not isinstance(d, decimal.Decimal):
        d = decimal.Decimal(d)
    if not d.is_finite():
        raise DataError(f"decimal {d} is not a finite number")
    sign, digits, exp = d.as_tuple()
    n = int("".join(map(str, digits)) or "0")
    shift = exp + scale
    if shift >= 0:
        n *= 10 ** shift
    else:
        n, r = divmod(n, 10 ** -shift)
        if r:
            raise DataError(f"decimal {d} does not fit scale {scale} without rounding")
    return -n if sign else n


def decimal_of(n, scale):
    """n × 10^-scale as a decimal.Decimal, exactly."""
    return decimal.Decimal((1 if n < 0 else 0, tuple(int(c) for c in str(abs(n))), -scale))


def twos_complement(n):
    """n as the minimal big-endian two's-complement bytes of Java's BigInteger.toByteArray."""
    length = (n + (n < 0)).bit_length() // 8 + 1
    return n.to_bytes(length, "big", signed=True)


def from_twos_complement(b):
    """Big-endian two's-complement bytes as an int, as Java's new BigInteger(byte[])."""
    return int.from_bytes(b, "big", signed=True) if b else 0


def _aware(t):
    return t if t.tzinfo is not None else t.replace(tzinfo=datetime.timezone.utc)


def timestamp_millis(t):
    """Milliseconds since the epoch of datetime t (naive: UTC)."""
    return (_aware(t) - EPOCH) // datetime.timedelta(milliseconds=1)


def date_days(d):
    """Days since the epoch of d, as Kafka Connect's Date.fromLogical; a datetime counts
    by its UTC date."""
    if isinstance(d, datetime.datetime):
        d = _aware(d).astimezone(datetime.timezone.utc).date()
    return (d - EPOCH.date()).days


def time_millis(t):
    """Milliseconds since midnight UTC of t (a datetime.time, or a datetime's time of
    day), as Kafka Connect's Time.fromLogical."""
    if isinstance(t, datetime.datetime):
        return timestamp_millis(t) % _DAY_MS
    ms = ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 + t.microsecond // 1000
    off = t.utcoffset()
    if off:
        ms -= off // datetime.timedelta(milliseconds=1)
    return ms % _DAY_MS


def date_of(days):
    return EPOCH.date() + datetime.timedelta(days=days)


def time_of(ms):
    return (EPOCH + datetime.timedelta(milliseconds=ms % _DAY_MS)).timetz()


def timestamp_of(ms):
    return EPOCH + datetime.timedelta(milliseconds=ms)


# ---- structs ----

class Struct:
    """A value of a STRUCT schema: one value per field of its schema. st["f"] and
    st.get("f") read a field (its schema's default when unset), st["f"] = v and
    st.put("f", v) set one; a name the schema does not have raises KeyError, as Kafka
    Connect's Struct.put throws. Values are checked against the schema by validate (the
    SDK validates every record it sends)."""

    __slots__ = ("_schema", "_values")

    def __init__(self, schema, values=None):
        if schema is None or schema.type != Type.STRUCT:
            raise DataError("Struct needs a STRUCT schema")
        self._schema = schema
        self._values = [None] * len(schema.fields)
        for k, v in (values or {}).items():
            self.put(k, v)

    @property
    def schema(self):
        return self._schema

    def _field(self, name):
        f = self._schema.field(name)
        if f is None:
            raise KeyError(f"struct {self._schema.name or '(unnamed)'} has no field {name!r}")
        return f

    def put(self, name, value):
        """Sets field name and returns the struct, so puts chain."""
        self._values[self._field(name).index] = value
        return self

    def put_at(self, i, value):
        self._values[i] = value
        return self

    def get(self, name):
        """Field name's value, its schema's default when unset; None for a name the schema
        does not have."""
        f = self._schema.field(name)
        return None if f is None else self.at(f.index)

    def at(self, i):
        v = self._values[i]
        if v is None and self._schema.fields[i].schema is not None:
            return self._schema.fields[i].schema.default
        return v

    def __getitem__(self, name):
        return self.at(self._field(name).index)

    def __setitem__(self, name, value):
        self.put(name, value)

    def items(self):
        """(field name, value) pairs in field order."""
        return [(f.name, self.at(f.index)) for f in self._schema.fields]

    def validate(self):
        validate(self._schema, self)

    def __eq__(self, other):
        return (isinstance(other, Struct) and _same_struct(self._schema, other._schema)
                and self.items() == other.items())

    __hash__ = None

    def __repr__(self):
        fs = ", ".join(f"{k}={v!r}" for k, v in self.items())
        return f"Struct({self._schema.name or '(unnamed)'}: {fs})"


def _same_struct(a, b):
    return a is b or (a.name == b.name and [f.name for f in a.fields] == [f.name for f in b.fields])


# ---- validation ----

_INT_RANGE = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}


def _path(parent, child):
    if not parent:
        return child
    return parent + child if child.startswith("[") else parent + "." + child


def _fail(at, msg):
    raise DataError(f"{at}: {msg}" if at else msg)


def _mismatch(at, want, v):
    _fail(at, f"expected {want}, got {type(v).__name__}")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validate(schema, value, at=""):
    """Checks value against schema, raising DataError naming where it does not fit."""
    s = schema
    if value is None:
        if is_optional(s) or s.default is not None:
            return
        _fail(at, "a value is required (the schema is not optional)")
    if s is None:
        return
    if s.name == DECIMAL_NAME:
        if not isinstance(value, decimal.Decimal):
            _mismatch(at, "decimal.Decimal", value)
        unscaled(value, schema_scale(s))
        return
    if s.name == DATE_NAME and isinstance(value, datetime.date):
        return
    if s.name == TIME_NAME and isinstance(value, (datetime.time, datetime.datetime)):
        return
    if s.name == TIMESTAMP_NAME and isinstance(value, datetime.datetime):
        return
    t = s.type
    if t in _INT_RANGE:
        if not is_int(value):
            _mismatch(at, t.name, value)
        bits = _INT_RANGE[t]
        if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
            _fail(at, f"{value} is out of range for {t.name}")
    elif t in (Type.FLOAT32, Type.FLOAT64):
        if not isinstance(value, (float, int)) or isinstance(value, bool):
            _mismatch(at, t.name, value)
    elif t == Type.BOOLEAN:
        if not isinstance(value, bool):
            _mismatch(at, "BOOLEAN", value)
    elif t == Type.STRING:
        if not isinstance(value, str):
            _mismatch(at, "STRING", value)
    elif t == Type.BYTES:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            _mismatch(at, "BYTES", value)
    elif t == Type.ARRAY:
        if not isinstance(value, (list, tuple)):
            _mismatch(at, "ARRAY (list)", value)
        for i, item in enumerate(value):
            validate(s.value, item, f"{at}[{i}]")
    elif t == Type.MAP:
        if not isinstance(value, dict):
            _mismatch(at, "MAP (dict)", value)
        for k, v in value.items():
            validate(s.key, k, _path(at, "key"))
            validate(s.value, v, _path(at, str(k)))
    elif t == Type.STRUCT:
        if not isinstance(value, Struct):
            _mismatch(at, "STRUCT (Struct)", value)
        if not _same_struct(value.schema, s):
            _fail(at, f"struct of schema {value.schema.name!r} where the schema is {s.name!r}")
        for f in s.fields:
            v = value.at(f.index)
            if v is None and not is_optional(f.schema):
                _fail(_path(at, f.name), "a value is required (the field is not optional)")
            validate(f.schema, v, _path(at, f.name))


# ---- JSON and text ----

def _json_default(o):
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(o)).decode("ascii")
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def to_json(v):
    """v as JSON, as the Go SDK's data.AppendJSON: structs as objects with their fields in
    order, maps with string keys as objects (keys sorted), other maps as arrays of
    [key, value] pairs, bytes as base64 strings (as Kafka's JsonConverter writes them),
    decimals as numbers, dates and times as ISO 8601 strings (UTC), NaN and infinities as
    the strings "NaN", "Infinity" and "-Infinity", None as null."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return '"' + base64.b64encode(bytes(v)).decode("ascii") + '"'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return '"NaN"'
        if math.isinf(v):
            return '"Infinity"' if v > 0 else '"-Infinity"'
        return repr(v) if v != int(v) or abs(v) >= 1e21 else str(int(v))
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, datetime.datetime):
        return '"' + _aware(v).astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z") + '"'
    if isinstance(v, (datetime.date, datetime.time)):
        return '"' + v.isoformat() + '"'
    if isinstance(v, Struct):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + to_json(x) for k, x in v.items()) + "}"
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + to_json(v[k]) for k in sorted(v)) + "}"
        return "[" + ",".join("[" + to_json(k) + "," + to_json(x) + "]" for k, x in v.items()) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(to_json(x) for x in v) + "]"
    raise DataError(f"a {type(v).__name__} is not a record value")


def to_text(v):
    """v as a line of text shows it: a string as is, bytes decoded as UTF-8 (base64 when
    they are not UTF-8), None as "null", anything else as JSON (see to_json)."""
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(v)).decode("ascii")
    return to_json(v)
