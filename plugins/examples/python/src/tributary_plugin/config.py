"""Connector config definitions and parsing, as Kafka Connect's ConfigDef (and the Go
SDK's sdk.ConfigDef): the kernel shows the definition to users and the SDK checks every
config against it before a connector sees it."""

from tributary.plugin.v1 import plugin_pb2 as pb

# Key types.
STRING = pb.ConfigKey.TYPE_STRING
INT = pb.ConfigKey.TYPE_INT
LONG = pb.ConfigKey.TYPE_LONG
DOUBLE = pb.ConfigKey.TYPE_DOUBLE
BOOLEAN = pb.ConfigKey.TYPE_BOOLEAN
LIST = pb.ConfigKey.TYPE_LIST
PASSWORD = pb.ConfigKey.TYPE_PASSWORD
CLASS = pb.ConfigKey.TYPE_CLASS

# Importances.
HIGH = pb.ConfigKey.IMPORTANCE_HIGH
MEDIUM = pb.ConfigKey.IMPORTANCE_MEDIUM
LOW = pb.ConfigKey.IMPORTANCE_LOW


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


class ConfigDef:
    """A connector's config definition. define() chains:

        ConfigDef().define("topic", config.STRING, config.HIGH, "Topic to write to.", required=True) \\
                   .define("count", config.LONG, config.MEDIUM, "How many.", default="0")
    """

    def __init__(self):
        self._keys = []

    def define(self, name, type_, importance, doc, *, required=False, default=None,
               secret=False, group="", display_name=""):
        if any(k.name == name for k in self._keys):
            raise ValueError(f"config key {name!r} defined twice")
        k = pb.ConfigKey(name=name, type=type_, importance=importance, documentation=doc,
                         required=required, secret=secret or type_ == PASSWORD,
                         group=group, display_name=display_name)
        if default is not None:
            k.default_value, k.has_default = str(default), True
        self._keys.append(k)
        return self

    def keys(self):
        """The definition as protocol ConfigKeys, in definition order."""
        out = []
        for k in self._keys:
            c = pb.ConfigKey()
            c.CopyFrom(k)
            out.append(c)
        return out

    def parse(self, raw):
        """Applies defaults to raw and checks every defined key: required keys are present
        and non-empty, values parse as their type. Unknown keys pass through (the kernel's
        own, such as name and tasks.max). Returns (Config, [ConfigError])."""
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
            if problem:
                errors.append(ConfigError(
                    k.name, f'Invalid value "{v}" for configuration {k.name}: {problem}'))
        return cfg, errors


def _check_type(t, v):
    v = v.strip()
    try:
        if t == INT:
            if not -(1 << 31) <= int(v) < (1 << 31):
                raise ValueError
        elif t == LONG:
            if not -(1 << 63) <= int(v) < (1 << 63):
                raise ValueError
        elif t == DOUBLE:
            float(v)
        elif t == BOOLEAN:
            _parse_bool(v)
    except ValueError:
        return {INT: "not a 32-bit integer", LONG: "not a 64-bit integer",
                DOUBLE: "not a number", BOOLEAN: "expected true or false"}[t]
    return None


def _parse_bool(v):
    if v.lower() == "true":
        return True
    if v.lower() == "false":
        return False
    raise ValueError(v)


class Config(dict):
    """A connector or task config: keys to string values. The typed getters parse a value
    and raise a ConfigError naming the key."""

    def string(self, key):
        return self.get(key, "")

    def int(self, key):
        try:
            return int(self.get(key, "").strip())
        except ValueError:
            raise ConfigError(key, f"{self.get(key)!r} is not an integer") from None

    def float(self, key):
        try:
            return float(self.get(key, "").strip())
        except ValueError:
            raise ConfigError(key, f"{self.get(key)!r} is not a number") from None

    def bool(self, key):
        try:
            return _parse_bool(self.get(key, "").strip())
        except ValueError:
            raise ConfigError(key, f"{self.get(key)!r}: expected true or false") from None

    def list(self, key):
        """The value split at commas, items trimmed, empty items dropped."""
        return [s.strip() for s in self.get(key, "").split(",") if s.strip()]
