"""Connector config definitions and parsing, as Kafka Connect's ConfigDef and the Go
SDK's sdk.ConfigDef: the kernel shows the definition to users, and the SDK checks every
config against it before a connector's code sees it. Plain Python: no protobuf here."""

import enum
import json
import math
import re

__all__ = ["ConfigType", "Importance", "ConfigDef", "Config", "ConfigError", "ConfigErrors",
           "is_worker_key", "STRING", "INT", "LONG", "DOUBLE", "BOOLEAN", "LIST", "PASSWORD",
           "CLASS", "HIGH", "MEDIUM", "LOW"]


class ConfigType(enum.IntEnum):
    """A config key's type, as Kafka Connect's ConfigDef.Type. The values are the
    protocol's (tributary.plugin.v1.ConfigKey.Type)."""

    STRING = 1
    INT = 2
    LONG = 3
    DOUBLE = 4
    BOOLEAN = 5
    LIST = 6
    PASSWORD = 7
    CLASS = 8


class Importance(enum.IntEnum):
    """How much a config key matters to users, as Kafka Connect's."""

    HIGH = 1
    MEDIUM = 2
    LOW = 3


STRING, INT, LONG, DOUBLE = ConfigType.STRING, ConfigType.INT, ConfigType.LONG, ConfigType.DOUBLE
BOOLEAN, LIST, PASSWORD, CLASS = ConfigType.BOOLEAN, ConfigType.LIST, ConfigType.PASSWORD, ConfigType.CLASS
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW


class ConfigError(Exception):
    """A problem with one config key. Raised from a task's open (alone or in a
    ConfigErrors), it makes the kernel report an invalid config rather than a failure."""

    def __init__(self, key, message):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class ConfigErrors(Exception):
    """Several config problems."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("invalid config: " + "; ".join(str(e) for e in self.errors))


class ConfigKey:
    """One defined key. The attribute names are the protocol's ConfigKey fields."""

    __slots__ = ("name", "type", "importance", "documentation", "required", "default_value",
                 "has_default", "secret", "group", "display_name", "checks")

    def __init__(self, name, type_, importance, doc):
        self.name = name
        self.type = ConfigType(type_)
        self.importance = Importance(importance)
        self.documentation = doc
        self.required = False
        self.default_value = ""
        self.has_default = False
        self.secret = type_ == PASSWORD
        self.group = ""
        self.display_name = ""
        self.checks = []


# The config keys (and key prefixes, ending in ".") the kernel reads from every
# connector's config, as Kafka Connect's worker does; connectors never see them as theirs.
WORKER_KEYS = (
    "name", "connector.class", "tasks.max", "topics", "topics.regex", "config.action.reload",
    "key.converter", "value.converter", "header.converter", "transforms", "predicates",
    "errors.", "topic.creation.", "producer.override.", "consumer.override.", "admin.override.",
    "exactly.once.support", "transaction.boundary", "offsets.storage.topic",
    "tasks.max.enforce",
)


def is_worker_key(key):
    """Whether key is one the kernel reads from a connector config (name,
    connector.class, tasks.max, converters, transforms, errors.*, topics …)."""
    for p in WORKER_KEYS:
        if key == p or (key.startswith(p) and (p.endswith(".") or key[len(p)] == ".")):
            return True
    return False


def _one_of(values):
    def check(v):
        if not any(v.strip().lower() == ok.lower() for ok in values):
            raise ValueError("String must be one of: " + ", ".join(values))
    return check


def _at_least(lowest):
    def check(v):
        f = _parse_float(v)
        if f is not None and f < lowest:
            raise ValueError("Value must be at least " + _plain_number(lowest))
    return check


def _plain_number(x):
    """x as Go's strconv.FormatFloat(x, 'f', -1, 64) writes it: no exponent, no ".0"."""
    x = float(x)
    if math.isinf(x) or math.isnan(x):
        return {math.inf: "+Inf", -math.inf: "-Inf"}.get(x, "NaN")
    if x == int(x):
        return str(int(x))
    import decimal
    return format(decimal.Decimal(repr(x)), "f")


class ConfigDef:
    """A connector's config definition. define() returns the definition, so calls chain:

        ConfigDef() \\
            .define("file", STRING, HIGH, "Path of the file to read.", required=True) \\
            .define("batch.size", INT, LOW, "Records per batch.", default="2000", at_least=1)

    Defining a key twice raises ValueError: a programming error caught at startup.
    """

    def __init__(self):
        self._keys = []
        self._strict = False

    def define(self, name, type_, importance, doc, *, required=False, default=None, secret=False,
               group="", display_name="", one_of=None, at_least=None, check=None):
        """Adds a key. required: it must be set to a non-empty value. default: the value
        (a string, or anything str() turns into one) it takes when absent. secret: the
        kernel masks it in every API response and log (PASSWORD keys are secret anyway).
        one_of: the only values accepted, ignoring case (ConfigDef.ValidString). at_least:
        the lowest number accepted (ConfigDef.Range.atLeast). check: a function of the
        value that raises ValueError with the problem; it runs after the type check and
        the checks above, when the key is set."""
        if any(k.name == name for k in self._keys):
            raise ValueError(f"config key {name!r} defined twice")
        k = ConfigKey(name, type_, importance, doc)
        k.required = bool(required)
        if default is not None:
            k.default_value, k.has_default = _default_string(default), True
        k.secret = k.secret or bool(secret)
        k.group, k.display_name = group, display_name
        if one_of is not None:
            k.checks.append(_one_of([str(v) for v in one_of]))
        if at_least is not None:
            k.checks.append(_at_least(float(at_least)))
        if check is not None:
            k.checks.append(check)
        self._keys.append(k)
        return self

    def refuse_unknown(self):
        """Makes parse report every key that is neither defined nor one of the kernel's
        own (see is_worker_key), naming it: a connector that moves over from another
        runtime then says which of its keys it does not support instead of ignoring
        them. Returns the definition."""
        self._strict = True
        return self

    def keys(self):
        """The defined keys (ConfigKey), in definition order."""
        return list(self._keys)

    def defines(self, name):
        return any(k.name == name for k in self._keys)

    def parse(self, raw):
        """Applies defaults to raw and checks every defined key: required keys are present
        and non-empty, values parse as their type and pass the key's checks. Keys the
        definition does not know pass through untouched (the kernel's own, such as name and
        tasks.max), or are refused after refuse_unknown(). Returns (Config, [ConfigError]);
        raw is not modified."""
        cfg = Config(raw)
        errors = []
        for k in self._keys:
            present = k.name in cfg
            if not present and k.has_default:
                cfg[k.name] = k.default_value
                present = True
            v = cfg.get(k.name, "")
            if k.required and not v.strip():
                errors.append(ConfigError(
                    k.name, f'Missing required configuration "{k.name}" which has no default value.'))
                continue
            if not present:
                continue
            problem = _check_type(k.type, v)
            if problem is None and k.checks and (v != "" or k.required):
                for check in k.checks:
                    try:
                        check(v)
                    except ValueError as e:
                        problem = str(e)
                        break
            if problem is not None:
                errors.append(ConfigError(k.name, f"Invalid value {v} for configuration {k.name}: {problem}"))
        if self._strict:
            for key in sorted(raw):
                if not is_worker_key(key) and not self.defines(key):
                    errors.append(ConfigError(key, (
                        f'Unknown configuration "{key}": this connector does not support it '
                        f"(its README lists the keys it supports); remove it.")))
        return cfg, errors


def _default_string(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


_INT = re.compile(r"[+-]?[0-9]+")


def _parse_int(v, bits=64):
    """v (trimmed) as Go's strconv.ParseInt(v, 10, bits) reads it, or None."""
    v = v.strip()
    if not _INT.fullmatch(v):
        return None
    n = int(v)
    return n if -(1 << (bits - 1)) <= n < (1 << (bits - 1)) else None


def _parse_float(v):
    """v (trimmed) as a float, or None. Like Go's ParseFloat: ASCII only, no underscores."""
    v = v.strip()
    if not v.isascii() or "_" in v:
        return None
    try:
        return float(v)
    except ValueError:
        return None


def _parse_bool(v):
    v = v.strip().lower()
    if v == "true":
        return True
    if v == "false":
        return False
    return None


def _check_type(t, v):
    if t == INT and _parse_int(v, 32) is None:
        return "not a 32-bit integer"
    if t == LONG and _parse_int(v, 64) is None:
        return "not a 64-bit integer"
    if t == DOUBLE and _parse_float(v) is None:
        return "not a number"
    if t == BOOLEAN and _parse_bool(v) is None:
        return "expected true or false"
    return None


def _quote(s):
    return json.dumps(s, ensure_ascii=False)


class Config(dict):
    """A connector or task config: keys to string values, as Kafka Connect's. The typed
    getters parse a value and raise a ConfigError naming the key when it does not."""

    def string(self, key):
        """The value of key, or "" if it is absent."""
        return self.get(key, "")

    def int(self, key):
        """The value of key as an int (64-bit)."""
        n = _parse_int(self.get(key, ""))
        if n is None:
            raise ConfigError(key, f"{_quote(self.get(key, ''))} is not an integer")
        return n

    def float(self, key):
        """The value of key as a float."""
        f = _parse_float(self.get(key, ""))
        if f is None:
            raise ConfigError(key, f"{_quote(self.get(key, ''))} is not a number")
        return f

    def bool(self, key):
        """The value of key as a bool ("true" or "false", any case)."""
        b = _parse_bool(self.get(key, ""))
        if b is None:
            raise ConfigError(key, f"{_quote(self.get(key, ''))}: expected true or false")
        return b

    def list(self, key):
        """The value of key split at commas, each item trimmed, empty items dropped."""
        return [s.strip() for s in self.get(key, "").split(",") if s.strip()]
