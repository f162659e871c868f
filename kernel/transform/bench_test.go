package transform

import (
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

func benchChain(b *testing.B, cfg map[string]string, r *pluginv1.Record) {
	b.Helper()
	c, err := NewChain(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Apply(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChainEmpty(b *testing.B) {
	benchChain(b, nil, vrec(personSchema, person(vs("a@b"))))
}

func BenchmarkInsertFieldWithSchema(b *testing.B) {
	benchChain(b, props("transforms", "i", "transforms.i.type", "InsertField$Value",
		"transforms.i.topic.field", "topic", "transforms.i.timestamp.field", "ts"),
		vrec(personSchema, person(vs("a@b"))))
}

func BenchmarkCastAndRouteSchemaless(b *testing.B) {
	benchChain(b, props("transforms", "c,r",
		"transforms.c.type", "Cast$Value", "transforms.c.spec", "id:string",
		"transforms.r.type", "RegexRouter", "transforms.r.regex", "(.*)", "transforms.r.replacement", "copy-$1"),
		vrec(nil, vmap("id", vi(1), "name", vs("Ada"), "email", vs("a@b"))))
}

func BenchmarkFlattenWithSchema(b *testing.B) {
	benchChain(b, props("transforms", "f", "transforms.f.type", "Flatten$Value"),
		vrec(personSchema, person(vs("a@b"))))
}

func BenchmarkExtractNewRecordState(b *testing.B) {
	benchChain(b, props("transforms", "u", "transforms.u.type", "io.debezium.transforms.ExtractNewRecordState"),
		dbzEvent("u", dbzRow(1, "Anne", nil), dbzRow(1, "Anne Marie", vs("a@b")), nil))
}

func BenchmarkExtractNewRecordStateRewriteAddFields(b *testing.B) {
	benchChain(b, props("transforms", "u", "transforms.u.type", "io.debezium.transforms.ExtractNewRecordState",
		"transforms.u.delete.tombstone.handling.mode", "rewrite",
		"transforms.u.add.fields", "op,table,lsn,source.ts_ms", "transforms.u.add.headers", "db"),
		dbzEvent("u", dbzRow(1, "Anne", nil), dbzRow(1, "Anne Marie", vs("a@b")), nil))
}
