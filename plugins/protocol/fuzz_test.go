package protocol

import (
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// The kernel decodes every Poll response and the plugin every Put request with the
// hand-written batch decoder, from bytes another process wrote: a broken or hostile peer
// must get an error, never a panic, and what both the decoder and the protobuf library
// accept must decode to the same message.

func FuzzDecodePollResponse(f *testing.F) {
	seedBatches(f, func(recs []*pluginv1.Record) proto.Message { return &pluginv1.PollResponse{Records: recs} })
	if b, err := proto.Marshal(tableBatch()); err == nil {
		f.Add(b) // records naming the schemas of the batch's table
	}
	f.Add(repeatedValueBatch()) // a value field repeated within a record
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want pluginv1.PollResponse
		checkDecode(t, b, &got, &want)
		checkLazy(t, b)
	})
}

// checkLazy decodes b as a LazyPoll: wherever the batch decoder accepts b, the lazy one
// does too, and its records, their keys and values decoded, are the same.
func checkLazy(t *testing.T, b []byte) {
	var eager pluginv1.PollResponse
	if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &eager); err != nil {
		return
	}
	var lazy LazyPoll
	if err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &lazy); err != nil {
		t.Fatalf("the lazy decoder refused a batch the eager one accepts: %v", err)
	}
	if len(lazy.Records) != len(eager.Records) || len(lazy.Keys) != len(lazy.Records) || len(lazy.Values) != len(lazy.Records) {
		t.Fatalf("lazy: %d records, %d keys, %d values; eager: %d records", len(lazy.Records), len(lazy.Keys), len(lazy.Values), len(eager.Records))
	}
	for i, r := range lazy.Records {
		for which, raw := range [][]byte{lazy.Keys[i], lazy.Values[i]} {
			dst := &r.Key
			if which == 1 {
				dst = &r.Value
			}
			if raw == nil {
				continue
			}
			if *dst != nil {
				t.Fatalf("record %d has both a decoded and an encoded %d", i, which)
			}
			v, err := DecodeValue(raw)
			if err != nil {
				t.Fatalf("record %d: decoding what the eager decoder accepted: %v", i, err)
			}
			*dst = v
		}
	}
	if !proto.Equal(&pluginv1.PollResponse{Records: lazy.Records}, &eager) {
		t.Fatalf("lazy and eager decoding disagree:\n lazy  %v\n eager %v", lazy.Records, eager.Records)
	}
}

func FuzzDecodePutRequest(f *testing.F) {
	seedBatches(f, func(recs []*pluginv1.Record) proto.Message { return &pluginv1.PutRequest{Handle: "h", Records: recs} })
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want pluginv1.PutRequest
		checkDecode(t, b, &got, &want)
	})
}

func seedBatches(f *testing.F, msg func([]*pluginv1.Record) proto.Message) {
	recs := sampleRecords()
	for _, m := range []proto.Message{msg(recs), msg(recs[:1]), msg(nil)} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if len(b) > 3 {
			f.Add(b[:len(b)/2]) // cut inside a record
			f.Add(append(b[:len(b):len(b)], b...))
		}
	}
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}) // a record claiming 4 GiB
	f.Add([]byte{0x0a, 0x02, 0x2a, 0x80})             // a truncated varint inside a record
	f.Add(repeatedSchemaBatch())                      // a merge into a shared schema
}

// checkDecode decodes b with Codec into got and with the protobuf library into want.
func checkDecode(t *testing.T, b []byte, got, want proto.Message) {
	err := Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, got)
	werr := proto.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, want)
	switch {
	case err == nil && werr == nil:
		resolveSchemaRefs(want)
		// Unknown fields are kept by the generated code ours uses for nested messages and
		// dropped by want's decoding; they carry nothing either end reads.
		if rb, merr := proto.Marshal(got); merr == nil {
			proto.Reset(got)
			if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(rb, got); err != nil {
				t.Fatalf("re-reading what the batch decoder produced: %v", err)
			}
		}
		if !proto.Equal(got, want) {
			t.Fatalf("the batch decoder and the protobuf library disagree:\n ours %v\n std  %v", got, want)
		}
	}
	// Otherwise one of them refused the bytes, which is allowed: the generated code ours
	// uses for nested messages refuses a known field of the wrong wire type, which the
	// library skips as unknown, and the library refuses invalid UTF-8 in a string, which
	// ours keeps as bytes. A refused batch fails the call, and the task, visibly.
}

// resolveSchemaRefs makes of a PollResponse as the protobuf library decodes it what the
// batch decoder hands receivers: each record's schema references replaced by the
// schemas of the batch's table they name, and no table.
func resolveSchemaRefs(m proto.Message) {
	p, ok := m.(*pluginv1.PollResponse)
	if !ok {
		return
	}
	for _, r := range p.Records {
		if ref := r.KeySchemaRef; ref > 0 && int(ref) <= len(p.Schemas) {
			r.KeySchema = proto.Clone(p.Schemas[ref-1]).(*pluginv1.Schema)
		}
		if ref := r.ValueSchemaRef; ref > 0 && int(ref) <= len(p.Schemas) {
			r.ValueSchema = proto.Clone(p.Schemas[ref-1]).(*pluginv1.Schema)
		}
		r.KeySchemaRef, r.ValueSchemaRef = 0, 0
	}
	p.Schemas = nil
}
