import datetime
import decimal
import unittest

from tributary_sdk import Offset, Partition, SourceRecord, data
from tributary_sdk.data import DataError, Struct, field, struct_of
from tributary_sdk.records import encode_source_map

try:
    from tributary_sdk import codec
except ImportError as e:  # no protobuf: the codec tests skip
    codec, codec_missing = None, str(e)

UTC = datetime.timezone.utc
ORDER = struct_of(
    "shop.Order",
    field("id", data.INT64_SCHEMA),
    field("note", data.OPTIONAL_STRING_SCHEMA),
    field("price", data.decimal_schema(2)),
    field("day", data.DATE_SCHEMA),
    field("at", data.TIME_SCHEMA),
    field("ts", data.TIMESTAMP_SCHEMA),
    field("tags", data.array_of(data.STRING_SCHEMA)),
    field("attrs", data.map_of(data.STRING_SCHEMA, data.INT32_SCHEMA)),
    field("qty", data.INT16_SCHEMA.with_default(1)),
)


def order():
    return (Struct(ORDER)
            .put("id", 7)
            .put("price", decimal.Decimal("-12.3"))
            .put("day", datetime.date(2024, 2, 29))
            .put("at", datetime.time(13, 5, 1, 250000))
            .put("ts", datetime.datetime(2024, 2, 29, 13, 5, 1, 250000, tzinfo=UTC))
            .put("tags", ["a", "b"])
            .put("attrs", {"x": 1}))


class DataTest(unittest.TestCase):
    def test_schema_builders_copy(self):
        s = data.STRING_SCHEMA.with_name("n").with_doc("d").with_parameter("k", "v")
        self.assertEqual((s.name, s.doc, s.params), ("n", "d", {"k": "v"}))
        self.assertEqual(data.STRING_SCHEMA.name, "")
        self.assertTrue(data.optional(ORDER).optional)
        self.assertFalse(ORDER.optional)
        self.assertEqual([f.index for f in ORDER.fields], list(range(len(ORDER.fields))))
        self.assertEqual(ORDER.field("qty").schema.default, 1)

    def test_struct(self):
        st = order()
        self.assertEqual(st["qty"], 1)  # the field's default
        self.assertIsNone(st.get("nope"))
        with self.assertRaises(KeyError):
            st.put("nope", 1)
        st.validate()
        st["id"] = "seven"
        with self.assertRaisesRegex(DataError, "^id: expected INT64, got str$"):
            st.validate()

    def test_validate_ranges_and_required(self):
        with self.assertRaisesRegex(DataError, "128 is out of range for INT8"):
            data.validate(data.INT8_SCHEMA, 128)
        with self.assertRaisesRegex(DataError, "a value is required"):
            data.validate(data.STRING_SCHEMA, None)
        with self.assertRaisesRegex(DataError, "expected BOOLEAN, got int"):
            data.validate(data.BOOLEAN_SCHEMA, 1)
        with self.assertRaisesRegex(DataError, "without rounding"):
            data.validate(data.decimal_schema(1), decimal.Decimal("1.25"))

    def test_twos_complement_as_java(self):
        for n, b in [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x00\x80"), (-1, b"\xff"),
                     (-128, b"\x80"), (-129, b"\xff\x7f"), (-1230, b"\xfb\x32")]:
            self.assertEqual(data.twos_complement(n), b, n)
            self.assertEqual(data.from_twos_complement(b), n)

    def test_logical_values(self):
        self.assertEqual(data.date_days(datetime.date(1969, 12, 31)), -1)
        self.assertEqual(data.time_millis(datetime.time(0, 0, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))),
                         24 * 3600 * 1000 - 3600 * 1000 + 1000)
        self.assertEqual(data.timestamp_millis(datetime.datetime(1970, 1, 1, 0, 0, 1)), 1000)  # naive: UTC
        self.assertEqual(data.unscaled(decimal.Decimal("1.5E+3"), 2), 150000)
        self.assertEqual(str(data.decimal_of(-1230, 2)), "-12.30")

    def test_json_and_text(self):
        st = Struct(struct_of("s", field("b", data.BYTES_SCHEMA), field("d", data.decimal_schema(2)),
                              field("f", data.FLOAT64_SCHEMA)))
        st.put("b", b"\x00\x01").put("d", decimal.Decimal("1.50")).put("f", float("nan"))
        self.assertEqual(data.to_json(st), '{"b":"AAE=","d":1.50,"f":"NaN"}')
        self.assertEqual(data.to_json({"b": 1, "a": [None, True]}), '{"a":[null,true],"b":1}')
        self.assertEqual(data.to_json({1: "x"}), '[[1,"x"]]')
        self.assertEqual(data.to_text(b"two\nlines"), "two\nlines")
        self.assertEqual(data.to_text(None), "null")

    def test_source_maps_as_go_writes_them(self):
        self.assertEqual(encode_source_map({"b": 1, "a": "<&>é"}), '{"a":"\\u003c\\u0026\\u003eé","b":1}'.encode())
        o = Offset(n=6, pos=2.0, s="x", on=True, big=2 ** 60)
        self.assertEqual((o.int("n"), o.int("pos"), o.int("s"), o.int("on"), o.int("big")), (6, 2, None, None, 2 ** 60))
        self.assertEqual((o.string("s"), o.bool("on"), o.float("n"), o.float("absent")), ("x", True, 6.0, None))
        self.assertEqual(Partition(counter=1).int("counter"), 1)


@unittest.skipIf(codec is None, "no protobuf")
class CodecTest(unittest.TestCase):
    def test_struct_round_trip(self):
        enc = codec.RecordEncoder()
        rec = SourceRecord(source_partition=Partition(p=1), source_offset=Offset(n=1), topic="t",
                           key="k", value=order(), value_schema=ORDER,
                           timestamp=datetime.datetime(2024, 1, 1, tzinfo=UTC))
        [pb] = enc.records([rec])
        self.assertEqual(pb.partition, -1)  # no kafka_partition: the partitioner chooses
        self.assertEqual(pb.value.struct_value.fields[2].value.bytes_value, b"\xfb\x32")
        self.assertEqual(pb.source_offset, b'{"n":1}')
        pb.kafka_offset = 9
        sink = codec.RecordDecoder().records([pb])[0]
        self.assertEqual((sink.topic, sink.offset, sink.key), ("t", 9, "k"))
        self.assertEqual(sink.value_schema, ORDER)
        got = sink.value
        self.assertEqual(got["price"], decimal.Decimal("-12.30"))
        self.assertEqual(got["day"], datetime.date(2024, 2, 29))
        self.assertEqual(got["at"], datetime.time(13, 5, 1, 250000, tzinfo=UTC))
        self.assertEqual(got["ts"], datetime.datetime(2024, 2, 29, 13, 5, 1, 250000, tzinfo=UTC))
        self.assertEqual((got["tags"], got["attrs"], got["qty"], got["note"]), (["a", "b"], {"x": 1}, 1, None))
        self.assertEqual(sink.timestamp, datetime.datetime(2024, 1, 1, tzinfo=UTC))

    def test_bad_records_name_the_record_and_field(self):
        enc = codec.RecordEncoder()
        bad = order().put("tags", ["a", 2])
        with self.assertRaisesRegex(DataError, r"^record 0 of the batch \(topic 't'\): value.tags\[1\]: expected STRING, got int$"):
            enc.records([SourceRecord(source_partition={}, source_offset={"n": 1}, topic="t", value=bad, value_schema=ORDER)])
        with self.assertRaisesRegex(DataError, "needs a source_partition and a source_offset"):
            enc.records([SourceRecord(source_partition=None, source_offset=None, topic="t")])
        with self.assertRaisesRegex(DataError, "value: a value is required"):
            enc.records([SourceRecord(source_partition={}, source_offset={}, value_schema=data.STRING_SCHEMA)])

    def test_schemaless_values(self):
        v = codec.value_of(None, {"a": [1, 2.5, b"x", None]}, "value")
        self.assertEqual(codec.python_of(v, None), {"a": [1, 2.5, b"x", None]})
        self.assertEqual(codec.schema_of(codec.schema_pb(ORDER)), ORDER)


if __name__ == "__main__":
    unittest.main()
