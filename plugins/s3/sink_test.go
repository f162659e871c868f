package main

// Tests of the sink task against a real S3 server (versitygw, signatures enforced): object
// names, rotation, each format read back, multipart uploads, retried puts and outages.

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hamba/avro/v2/ocf"
	"github.com/parquet-go/parquet-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
	"github.com/tributary-dev/tributary/plugins/testsvc"
)

// TestJSONNamesAndSizeRotation: with flush.size=3 each partition's records go to objects
// of three, named <topics.dir>/<topic>/partition=<p>/<topic>+<p>+<start offset, 10
// digits>.json, each record a line as JsonConverter (schemas.enable=false) writes it;
// Flush reports only what is in uploaded objects.
func TestJSONNamesAndSizeRotation(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, nil))
	var recs []sdk.SinkRecord
	for off := int64(0); off < 7; off++ {
		recs = append(recs, order(0, off, fmt.Sprintf("c%d", off)))
	}
	recs = append(recs, rec(1, 0, map[string]any{"b": 1.0, "a": "x"}, nil), rec(1, 1, "plain", nil))
	put(t, tk, recs...)
	want := []string{"topics/orders/partition=0/orders+0+0000000000.json", "topics/orders/partition=0/orders+0+0000000003.json"}
	if got := keys(t, s, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %v; want %v", got, want)
	}
	got := join(lines(get(t, s, want[0])))
	wantBody := join([]string{
		`{"id":0,"customer":"c0","qty":0,"price":0.5,"paid":true,"note":"nc0","at":1700000000000}`,
		`{"id":1,"customer":"c1","qty":1,"price":1.5,"paid":false,"note":null,"at":1700000001000}`,
		`{"id":2,"customer":"c2","qty":2,"price":2.5,"paid":true,"note":null,"at":1700000002000}`,
	})
	if got != wantBody {
		t.Errorf("object %s:\n%s\nwant:\n%s", want[0], got, wantBody)
	}
	tp1 := sdk.TopicPartition{Topic: "orders", Partition: 1}
	fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 7, tp1: 2})
	if !reflect.DeepEqual(fl, map[sdk.TopicPartition]int64{tp0: 6}) {
		t.Errorf("flush = %v; want orders-0 at 6 (record 6 is in an open file) and nothing of orders-1", fl)
	}
	put(t, tk, rec(1, 2, []any{int64(1), "two"}, nil))
	if got := string(get(t, s, "topics/orders/partition=1/orders+1+0000000000.json")); got != "{\"a\":\"x\",\"b\":1.0}\n\"plain\"\n[1,\"two\"]\n" {
		t.Errorf("orders-1's object = %q", got)
	}
}

// TestFormatsReadBack writes the same records in each format and reads them back with an
// independent reader: gzip, Parquet (parquet-go), Avro (hamba/avro's OCF decoder).
func TestFormatsReadBack(t *testing.T) {
	s := startS3(t)
	t.Run("bytes", func(t *testing.T) {
		tk := openTask(t, conf(s, map[string]string{keyTopicsDir: "raw", keyFormat: formatBytes, keyBytesSep: `|\n`, keyBytesExt: ".txt"}))
		put(t, tk, rec(0, 0, []byte("a"), data.OptionalBytesSchema), rec(0, 1, []byte{0, 1}, data.OptionalBytesSchema), rec(0, 2, []byte("c"), data.OptionalBytesSchema))
		if got := string(get(t, s, "raw/orders/partition=0/orders+0+0000000000.txt")); got != "a|\n\x00\x01|\nc|\n" {
			t.Errorf("object = %q", got)
		}
		err := tk.Put(ctx, []sdk.SinkRecord{rec(0, 3, "text", data.StringSchema)})
		if err == nil || !strings.Contains(err.Error(), "ByteArrayConverter is not compatible") {
			t.Errorf("a string value: %v; want it refused as not bytes", err)
		}
	})
	t.Run("json-gzip", func(t *testing.T) {
		tk := openTask(t, conf(s, map[string]string{keyTopicsDir: "gz", keyCompression: "gzip", keyZeroPad: "3"}))
		put(t, tk, order(0, 0, "a"), order(0, 1, "b"), order(0, 2, "c"))
		zr, err := gzip.NewReader(bytes.NewReader(get(t, s, "gz/orders/partition=0/orders+0+000.json.gz")))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if l := lines(b); len(l) != 3 || !strings.HasPrefix(l[2], `{"id":2,"customer":"c"`) {
			t.Errorf("gunzipped lines %q", l)
		}
	})
	t.Run("parquet", func(t *testing.T) {
		tk := openTask(t, conf(s, map[string]string{keyTopicsDir: "pq", keyFormat: formatParquet}))
		put(t, tk, order(0, 0, "a"), order(0, 1, "b"), order(0, 2, "c"))
		b := get(t, s, "pq/orders/partition=0/orders+0+0000000000.snappy.parquet")
		type row struct {
			ID       int64     `parquet:"id"`
			Customer string    `parquet:"customer"`
			Qty      int32     `parquet:"qty"`
			Price    *float64  `parquet:"price,optional"`
			Paid     bool      `parquet:"paid"`
			Note     *string   `parquet:"note,optional"`
			At       time.Time `parquet:"at,timestamp(millisecond)"`
		}
		rows, err := parquet.Read[row](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("read parquet: %v", err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d rows; want 3", len(rows))
		}
		note := "na"
		if r := rows[0]; r.ID != 0 || r.Customer != "a" || r.Qty != 0 || r.Price == nil || *r.Price != 0.5 || !r.Paid || r.Note == nil || *r.Note != note || !r.At.Equal(baseTime) {
			t.Errorf("row 0 = %+v", r)
		}
		if r := rows[2]; r.ID != 2 || r.Customer != "c" || r.Note != nil || !r.At.Equal(baseTime.Add(2*time.Second)) {
			t.Errorf("row 2 = %+v", r)
		}
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if c := f.Metadata().RowGroups[0].Columns[0].MetaData.Codec; c.String() != "SNAPPY" {
			t.Errorf("codec %v; want SNAPPY", c)
		}
		err = tk.Put(ctx, []sdk.SinkRecord{rec(0, 3, map[string]any{"id": 1.0}, nil)})
		if err == nil || !strings.Contains(err.Error(), "needs records with a value schema") {
			t.Errorf("a schemaless record: %v; want it refused for having no schema", err)
		}
	})
	t.Run("avro", func(t *testing.T) {
		tk := openTask(t, conf(s, map[string]string{keyTopicsDir: "av", keyFormat: formatAvro, keyAvroCodec: "deflate"}))
		put(t, tk, order(0, 0, "a"), order(0, 1, "b"), order(0, 2, "c"))
		dec, err := ocf.NewDecoder(bytes.NewReader(get(t, s, "av/orders/partition=0/orders+0+0000000000.avro")))
		if err != nil {
			t.Fatal(err)
		}
		if codec := string(dec.Metadata()["avro.codec"]); codec != "deflate" {
			t.Errorf("avro.codec %q; want deflate", codec)
		}
		if sc := dec.Schema().String(); !strings.Contains(sc, `"name":"shop.Order"`) || !strings.Contains(sc, `"logicalType":"timestamp-millis"`) {
			t.Errorf("schema %s; want record shop.Order with a timestamp-millis field", sc)
		}
		var got []map[string]any
		for dec.HasNext() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
		}
		if dec.Error() != nil {
			t.Fatal(dec.Error())
		}
		if len(got) != 3 {
			t.Fatalf("%d records; want 3", len(got))
		}
		r := got[0]
		if r["id"] != int64(0) || r["customer"] != "a" || r["qty"] != 0 || r["paid"] != true || fmt.Sprint(r["note"]) != "na" && fmt.Sprint(r["note"]) != "map[string:na]" {
			t.Errorf("record 0 = %v", r)
		}
		if at, ok := r["at"].(time.Time); !ok || !at.Equal(baseTime) {
			t.Errorf("record 0 at = %#v; want %v", r["at"], baseTime)
		}
		if got[1]["note"] != nil {
			t.Errorf("record 1 note = %#v; want null", got[1]["note"])
		}
	})
}

// TestPartitioners: FieldPartitioner's <field>=<value> directories, and
// TimeBasedPartitioner's path.format of the hour a record's time falls in, in its
// timezone, by the Record and RecordField extractors.
func TestPartitioners(t *testing.T) {
	s := startS3(t)
	t.Run("field", func(t *testing.T) {
		tk := openTask(t, conf(s, map[string]string{keyTopicsDir: "f", keyPartitioner: partField, keyFieldName: "customer,paid", keyFlushSize: "4"}))
		put(t, tk, order(0, 0, "x"), order(0, 1, "y"), order(0, 2, "x"), order(0, 3, "x"))
		want := []string{"f/orders/customer=x/paid=false/orders+0+0000000003.json", "f/orders/customer=x/paid=true/orders+0+0000000000.json",
			"f/orders/customer=y/paid=false/orders+0+0000000001.json"}
		if got := keys(t, s, "f/"); !reflect.DeepEqual(got, want) {
			t.Errorf("objects %v; want %v", got, want)
		}
		if got := len(lines(get(t, s, want[1]))); got != 2 {
			t.Errorf("%s has %d records; want 2 (offsets 0 and 2)", want[1], got)
		}
	})
	for _, ex := range []string{extractorRecord, extractorField} {
		t.Run("time-"+ex, func(t *testing.T) {
			dir := "t" + ex
			tk := openTask(t, conf(s, map[string]string{keyTopicsDir: dir, keyPartitioner: partTime, keyPathFormat: "'dt'=YYYY-MM-dd/'hr'=HH/",
				keyDuration: "3600000", keyLocale: "en-US", keyTimezone: "America/New_York", keyTSExtractor: ex, keyTSField: "at", keyFlushSize: "3"}))
			// Offsets 0, 1000, 3000 seconds after 22:13:20Z: 17:13 and 17:30 New York time, then 18:03.
			put(t, tk, order(0, 0, "a"), order(0, 1000, "b"), order(0, 3000, "c"))
			want := []string{dir + "/orders/dt=2023-11-14/hr=17/orders+0+0000000000.json", dir + "/orders/dt=2023-11-14/hr=18/orders+0+0000003000.json"}
			if got := keys(t, s, dir+"/"); !reflect.DeepEqual(got, want) {
				t.Errorf("objects %v; want %v", got, want)
			}
		})
	}
}

// TestRotateIntervalRecordTime: rotate.interval.ms with the Record extractor commits the
// open file before the first record whose Kafka timestamp is that much past the file's
// first one, whatever the wall clock does.
func TestRotateIntervalRecordTime(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, map[string]string{keyFlushSize: "1000", keyRotateInterval: "10000", keyTSExtractor: extractorRecord}))
	var recs []sdk.SinkRecord
	for off := int64(0); off < 25; off++ {
		recs = append(recs, rec(0, off, map[string]any{"n": off}, nil)) // one second apart
	}
	put(t, tk, recs...)
	want := []string{"topics/orders/partition=0/orders+0+0000000000.json", "topics/orders/partition=0/orders+0+0000000010.json"}
	if got := keys(t, s, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %v; want %v", got, want)
	}
	if n := len(lines(get(t, s, want[1]))); n != 10 {
		t.Errorf("%s has %d records; want 10", want[1], n)
	}
	if fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 25}); fl[tp0] != 20 {
		t.Errorf("flush = %v; want orders-0 at 20", fl)
	}
}

// TestScheduledRotation: rotate.schedule.interval.ms commits an open file on the wall
// clock, also when no further record comes.
func TestScheduledRotation(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, map[string]string{keyFlushSize: "1000", keyRotateSchedule: "200", keyTimezone: "UTC"}))
	put(t, tk, rec(0, 0, "a", data.StringSchema), rec(0, 1, "b", data.StringSchema))
	var got []string
	testsvc.Eventually(t, testsvc.WaitLimit, "the scheduled rotation to upload the open file", func() bool {
		got = keys(t, s, "")
		return len(got) == 1
	}, func() string { return fmt.Sprint(got) })
	if got[0] != "topics/orders/partition=0/orders+0+0000000000.json" {
		t.Errorf("object %s", got[0])
	}
	if fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 2}); fl[tp0] != 2 {
		t.Errorf("flush = %v; want orders-0 at 2", fl)
	}
}

// TestMultipartUpload: an object larger than s3.part.size is uploaded in parts of that
// size (S3 gives a multipart object's ETag a -<parts> suffix) and reads back whole.
func TestMultipartUpload(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, map[string]string{keyFormat: formatBytes, keyPartSize: "5242880", keyFlushSize: "3"}))
	var recs []sdk.SinkRecord
	var want []byte
	for off := int64(0); off < 3; off++ {
		v := bytes.Repeat([]byte{byte('a' + off)}, 4<<20)
		recs = append(recs, rec(0, off, v, data.BytesSchema))
		want = append(append(want, v...), '\n')
	}
	put(t, tk, recs...)
	key := "topics/orders/partition=0/orders+0+0000000000.bin"
	head, err := s.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(head.ETag); !strings.HasSuffix(strings.Trim(etag, `"`), "-3") {
		t.Errorf("ETag %s; want a multipart upload of 3 parts (12 MiB in 5 MiB parts)", etag)
	}
	if got := get(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("object of %d bytes differs from the %d written", len(got), len(want))
	}
}

// TestRetriedPutWritesOnce: the kernel puts a batch again after a failed put; records
// already in open or uploaded files are not written twice.
func TestRetriedPutWritesOnce(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, nil))
	batch := []sdk.SinkRecord{rec(0, 0, "a", data.StringSchema), rec(0, 1, "b", data.StringSchema), rec(0, 2, "c", data.StringSchema),
		rec(0, 3, "d", data.StringSchema), rec(0, 4, "e", data.StringSchema)}
	put(t, tk, batch...)
	put(t, tk, append(batch, rec(0, 5, "f", data.StringSchema))...)
	if got := string(get(t, s, "topics/orders/partition=0/orders+0+0000000003.json")); got != "\"d\"\n\"e\"\n\"f\"\n" {
		t.Errorf("second object = %q; want d, e, f once each", got)
	}
}

// TestOutageIsRetriable: with S3 down, the put that must upload fails retriable
// (Unavailable); put again once S3 is back, the object holds each record once.
func TestOutageIsRetriable(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, map[string]string{keyPartRetries: "0"}))
	s.Kill()
	batch := []sdk.SinkRecord{rec(0, 0, "a", data.StringSchema), rec(0, 1, "b", data.StringSchema), rec(0, 2, "c", data.StringSchema)}
	err := tk.Put(ctx, batch)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("put with S3 down: %v; want a retriable (Unavailable) error", err)
	}
	if fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3}); len(fl) != 0 {
		t.Errorf("flush = %v with nothing uploaded; want nothing", fl)
	}
	s.Start()
	put(t, tk, batch...)
	if got := string(get(t, s, "topics/orders/partition=0/orders+0+0000000000.json")); got != "\"a\"\n\"b\"\n\"c\"\n" {
		t.Errorf("object = %q", got)
	}
	if fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 3}); fl[tp0] != 3 {
		t.Errorf("flush = %v; want orders-0 at 3", fl)
	}
}

// TestNullValuesAndSchemaChange: a tombstone fails the put unless
// behavior.on.null.values=ignore; a value schema change starts a new file
// (schema.compatibility=NONE).
func TestNullValuesAndSchemaChange(t *testing.T) {
	s := startS3(t)
	tk := openTask(t, conf(s, nil))
	if err := tk.Put(ctx, []sdk.SinkRecord{rec(0, 0, nil, nil)}); err == nil || !strings.Contains(err.Error(), "behavior.on.null.values=ignore") {
		t.Errorf("a tombstone: %v; want it refused naming behavior.on.null.values", err)
	}
	tk = openTask(t, conf(s, map[string]string{keyNullValues: "ignore", keyTopicsDir: "n"}))
	put(t, tk, rec(0, 0, nil, nil))
	if fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 1}); fl[tp0] != 1 {
		t.Errorf("flush after an ignored tombstone = %v; want orders-0 at 1", fl)
	}
	put(t, tk, rec(0, 1, "a", data.StringSchema), rec(0, 2, nil, nil), rec(0, 3, int64(7), data.Int64Schema), rec(0, 4, int64(8), data.Int64Schema))
	want := []string{"n/orders/partition=0/orders+0+0000000001.json"}
	if got := keys(t, s, "n/"); !reflect.DeepEqual(got, want) {
		t.Errorf("objects %v; want %v (the schema change from string to int64 closes the first file)", got, want)
	}
	if fl := flushOf(t, tk, map[sdk.TopicPartition]int64{tp0: 5}); fl[tp0] != 3 {
		t.Errorf("flush = %v; want orders-0 at 3", fl)
	}
}
