import unittest

from tributary_sdk import (BOOLEAN, DOUBLE, HIGH, INT, LIST, LONG, LOW, PASSWORD, STRING, Config, ConfigDef,
                           ConfigError, ConfigType, Importance, is_worker_key)


def must_be_even(v):
    if int(v) % 2:
        raise ValueError("must be even")


def messages(errors):
    return {e.key: e.message for e in errors}


class ConfigDefTest(unittest.TestCase):
    def test_defaults_types_and_go_wording(self):
        d = (ConfigDef()
             .define("topic", STRING, HIGH, "Topic.", required=True)
             .define("count", LONG, LOW, "Count.", default=0)
             .define("n", INT, LOW, "N.")
             .define("ratio", DOUBLE, LOW, "Ratio.")
             .define("on", BOOLEAN, LOW, "On.", default=True))
        cfg, errs = d.parse({"count": "many", "n": "2147483648", "ratio": "1_0", "name": "kept"})
        self.assertEqual(messages(errs), {
            "topic": 'Missing required configuration "topic" which has no default value.',
            "count": "Invalid value many for configuration count: not a 64-bit integer",
            "n": "Invalid value 2147483648 for configuration n: not a 32-bit integer",
            "ratio": "Invalid value 1_0 for configuration ratio: not a number",
        })
        self.assertEqual(cfg["on"], "true")
        self.assertEqual(cfg["name"], "kept")
        cfg, errs = d.parse({"topic": "t", "ratio": " 2.5 ", "on": "FALSE"})
        self.assertEqual(errs, [])
        self.assertEqual((cfg.int("count"), cfg.float("ratio"), cfg.bool("on")), (0, 2.5, False))

    def test_checks(self):
        d = (ConfigDef()
             .define("mode", STRING, HIGH, "Mode.", one_of=["insert", "upsert"])
             .define("batch", INT, LOW, "Batch.", at_least=1)
             .define("rate", DOUBLE, LOW, "Rate.", at_least=0.5)
             .define("even", LONG, LOW, "Even.", check=must_be_even))
        _, errs = d.parse({"mode": "UPSERT", "batch": "1", "rate": "0.5", "even": "4"})
        self.assertEqual(errs, [])
        _, errs = d.parse({"mode": "delete", "batch": "0", "rate": "0.25", "even": "3"})
        self.assertEqual(messages(errs), {
            "mode": "Invalid value delete for configuration mode: String must be one of: insert, upsert",
            "batch": "Invalid value 0 for configuration batch: Value must be at least 1",
            "rate": "Invalid value 0.25 for configuration rate: Value must be at least 0.5",
            "even": "Invalid value 3 for configuration even: must be even",
        })
        # An empty optional value is not checked, as in the Go SDK.
        _, errs = d.parse({"mode": ""})
        self.assertEqual(errs, [])

    def test_refuse_unknown_spares_worker_keys(self):
        d = ConfigDef().define("file", STRING, HIGH, "File.").refuse_unknown()
        _, errs = d.parse({"file": "f", "name": "c", "tasks.max": "2", "errors.tolerance": "all",
                           "transforms.x.type": "y", "zeta": "1", "alpha": "2"})
        self.assertEqual([e.key for e in errs], ["alpha", "zeta"])
        self.assertIn('Unknown configuration "alpha"', errs[0].message)
        self.assertTrue(is_worker_key("producer.override.acks"))
        self.assertFalse(is_worker_key("topicsx"))

    def test_define_twice_and_secret(self):
        d = ConfigDef().define("pw", PASSWORD, HIGH, "Password.").define("l", LIST, LOW, "L.", default=["a", "b"])
        self.assertTrue(d.keys()[0].secret)
        self.assertEqual(d.keys()[1].default_value, "a,b")
        with self.assertRaises(ValueError):
            d.define("pw", STRING, HIGH, "Again.")

    def test_getters_name_the_key(self):
        c = Config({"n": "x", "l": " a, ,b ,"})
        with self.assertRaises(ConfigError) as e:
            c.int("n")
        self.assertEqual(e.exception.key, "n")
        self.assertEqual(str(e.exception), 'n: "x" is not an integer')
        self.assertEqual(c.list("l"), ["a", "b"])
        self.assertEqual(c.string("absent"), "")

    def test_enum_values_are_the_protocols(self):
        try:
            from tributary_sdk._proto import plugin_pb2 as pb
        except ImportError as e:
            self.skipTest(f"no protobuf: {e}")
        for t in ConfigType:
            self.assertEqual(int(t), pb.ConfigKey.Type.Value("TYPE_" + t.name))
        for i in Importance:
            self.assertEqual(int(i), pb.ConfigKey.Importance.Value("IMPORTANCE_" + i.name))


if __name__ == "__main__":
    unittest.main()
