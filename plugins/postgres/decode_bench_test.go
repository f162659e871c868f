package main

import (
	"context"
	bin "encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// benchTable is the bench phase's bench_rows (id bigint PRIMARY KEY, name text NOT
// NULL, qty int, price numeric(10,2), updated timestamptz) as a Relation message
// describes it, bound without a database.
func benchTable(t testing.TB, cfg *config) *table {
	t.Helper()
	cols := []*column{
		{Name: "id", Type: &pgType{OID: oidInt8, Name: "int8"}, TypMod: -1},
		{Name: "name", Type: &pgType{OID: oidText, Name: "text"}, TypMod: -1},
		{Name: "qty", Type: &pgType{OID: oidInt4, Name: "int4"}, TypMod: -1, Optional: true},
		{Name: "price", Type: &pgType{OID: oidNumeric, Name: "numeric"}, TypMod: 10<<16 | 2 + 4, Optional: true},
		{Name: "updated", Type: &pgType{OID: oidTimestamptz, Name: "timestamptz"}, TypMod: -1, Optional: true},
	}
	tb := &table{OID: 16384, Schema: "public", Name: "bench_rows", cols: cols, key: []int{0}, keyIsPK: true}
	cat := &catalog{cfg: cfg, opts: typeOptions{decimal: cfg.Decimal}}
	if err := cat.build(tb); err != nil {
		t.Fatal(err)
	}
	return tb
}

// benchDecoder is a streaming task's decoder that knows benchTable as relation 16384.
func benchDecoder(t testing.TB) *decoder {
	cfg := &config{Prefix: "p", DBName: "postgres", Decimal: "precise", Tombstones: true, MaxBatch: 1024}
	tk := &task{cfg: cfg, log: hclog.NewNullLogger(), part: partition(cfg.Prefix), pos: position{event: -1}}
	d := newDecoder(tk, 0)
	d.rels[16384] = benchTable(t, cfg)
	return d
}

// walTxn is the pgoutput messages of one transaction inserting rows first..first+n-1
// of bench_rows, as the bench phase inserts them, the i-th change at lsn+64i.
func walTxn(xid uint32, lsn uint64, first, n int) []walMessage {
	be := bin.BigEndian
	commit := time.Date(2026, 12, 4, 19, 53, 51, 123456000, time.UTC)
	pgTime := uint64(commit.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Microseconds())
	end := lsn + 64*uint64(n)
	begin := []byte{'B'}
	begin = be.AppendUint64(begin, end)
	begin = be.AppendUint64(begin, pgTime)
	begin = be.AppendUint32(begin, xid)
	out := []walMessage{{start: lsn, data: begin}}
	for i := range n {
		g := first + i
		cols := []string{strconv.Itoa(g), "name-" + strconv.Itoa(g), strconv.Itoa(g % 100),
			fmt.Sprintf("%d.%02d", g/100, g%100), "2026-12-04 19:53:51.123456+00"}
		m := []byte{'I'}
		m = be.AppendUint32(m, 16384)
		m = append(m, 'N')
		m = be.AppendUint16(m, uint16(len(cols)))
		for _, c := range cols {
			m = append(m, 't')
			m = be.AppendUint32(m, uint32(len(c)))
			m = append(m, c...)
		}
		out = append(out, walMessage{start: lsn + 64*uint64(i), data: m})
	}
	c := []byte{'C', 0}
	c = be.AppendUint64(c, end)
	c = be.AppendUint64(c, end+8)
	c = be.AppendUint64(c, pgTime)
	return append(out, walMessage{start: end, data: c})
}

// decodeAll decodes msgs with d into records.
func decodeAll(t testing.TB, d *decoder, msgs []walMessage, out []sdk.SourceRecord) []sdk.SourceRecord {
	for _, m := range msgs {
		var err error
		if out, err = d.handle(context.Background(), m, out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// describe writes a record as text, every field of key, value and offset, without the
// times the decoder takes from the clock (envelope ts_ms, the record's timestamp).
func describe(r sdk.SourceRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "topic=%s partition=%v key=%s keySchema=%p valueSchema=%p\n", r.Topic, r.SourcePartition,
		data.AppendJSON(nil, r.Key), r.KeySchema, r.ValueSchema)
	if env, ok := r.Value.(*data.Struct); ok {
		for i, f := range env.Schema().Fields {
			if f.Name != "ts_ms" {
				fmt.Fprintf(&b, "  %s=%s\n", f.Name, data.AppendJSON(nil, env.At(i)))
			}
		}
	}
	off, _ := r.SourceOffset.MarshalJSON()
	fmt.Fprintf(&b, "  offset=%s\n", off)
	return b.String()
}

// The records of a streamed transaction, as a fixed text: every field of key, value and
// offset. It pins what the decoder emits while its allocations are cut.
func TestDecodedInsertsAreStable(t *testing.T) {
	d := benchDecoder(t)
	var msgs []walMessage
	msgs = append(msgs, walTxn(745, 0x16E_0000, 1, 2)...)
	msgs = append(msgs, walTxn(746, 0x16F_0000, 3, 1)...)
	recs := decodeAll(t, d, msgs, nil)
	var got strings.Builder
	for _, r := range recs {
		got.WriteString(describe(r))
	}
	tb := d.rels[16384]
	want := fmt.Sprintf(`topic=p.public.bench_rows partition=map[server:p] key={"id":1} keySchema=%[1]p valueSchema=%[2]p
  before=null
  after={"id":1,"name":"name-1","qty":1,"price":0.01,"updated":"2026-12-04T19:53:51.123456Z"}
  source={"version":"2.5.4.Final","connector":"postgresql","name":"p","ts_ms":1796414031123,"snapshot":"false","db":"postgres","sequence":"[null,\"23986176\"]","schema":"public","table":"bench_rows","txId":745,"lsn":23986176,"xmin":null}
  op="c"
  transaction=null
  offset={"event_index":1,"lsn":23986176,"lsn_commit":23986304,"lsn_flush":0,"lsn_proc":23986176,"messageType":"INSERT","ts_usec":1796414031123456,"txId":745}
topic=p.public.bench_rows partition=map[server:p] key={"id":2} keySchema=%[1]p valueSchema=%[2]p
  before=null
  after={"id":2,"name":"name-2","qty":2,"price":0.02,"updated":"2026-12-04T19:53:51.123456Z"}
  source={"version":"2.5.4.Final","connector":"postgresql","name":"p","ts_ms":1796414031123,"snapshot":"false","db":"postgres","sequence":"[null,\"23986240\"]","schema":"public","table":"bench_rows","txId":745,"lsn":23986240,"xmin":null}
  op="c"
  transaction=null
  offset={"event_index":2,"lsn":23986240,"lsn_commit":23986304,"lsn_flush":23986312,"lsn_proc":23986240,"messageType":"INSERT","ts_usec":1796414031123456,"txId":745}
topic=p.public.bench_rows partition=map[server:p] key={"id":3} keySchema=%[1]p valueSchema=%[2]p
  before=null
  after={"id":3,"name":"name-3","qty":3,"price":0.03,"updated":"2026-12-04T19:53:51.123456Z"}
  source={"version":"2.5.4.Final","connector":"postgresql","name":"p","ts_ms":1796414031123,"snapshot":"false","db":"postgres","sequence":"[\"23986304\",\"24051712\"]","schema":"public","table":"bench_rows","txId":746,"lsn":24051712,"xmin":null}
  op="c"
  transaction=null
  offset={"event_index":1,"lsn":24051712,"lsn_commit":24051776,"lsn_flush":24051784,"lsn_proc":24051712,"messageType":"INSERT","ts_usec":1796414031123456,"txId":746}
`, tb.keySchema, tb.envSchema)
	if got.String() != want {
		t.Fatalf("decoded records changed:\ngot:\n%s\nwant:\n%s", got.String(), want)
	}
	if err := sdk.ValidateRecords(recs); err != nil {
		t.Fatalf("the decoded records do not encode: %v", err)
	}
}

// BenchmarkDecodeInserts decodes transactions of 1000 inserts into change records (the
// plugin's share of a CDC source's work before the SDK encodes them), without a
// database.
func BenchmarkDecodeInserts(b *testing.B) {
	d := benchDecoder(b)
	const perTxn = 1000
	txns := make([][]walMessage, 8)
	for i := range txns {
		txns[i] = walTxn(uint32(745+i), uint64(0x1000_0000*(i+1)), 1+i*perTxn, perTxn)
	}
	var out []sdk.SourceRecord
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		out = decodeAll(b, d, txns[i%len(txns)], out[:0])
		n += len(out)
		if i%len(txns) == len(txns)-1 {
			d.lastEnd, d.lastCommit = 0, 0 // replay the same WAL
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}
