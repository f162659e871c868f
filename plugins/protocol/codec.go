package protocol

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	// Registers gRPC's "proto" codec, the fallback for messages without generated
	// marshalling code.
	_ "google.golang.org/grpc/encoding/proto"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Codec is the codec both ends of the plugin protocol install (grpc.ForceCodecV2 on the
// kernel's connection, grpc.ForceServerCodecV2 on the plugin's server).
var Codec encoding.CodecV2 = codec{fallback: encoding.GetCodecV2("proto")}

type vtMessage interface {
	SizeVT() int
	MarshalToSizedBufferVT([]byte) (int, error)
	UnmarshalVT([]byte) error
}

type codec struct{ fallback encoding.CodecV2 }

// Name is gRPC's: the content subtype stays application/grpc+proto.
func (codec) Name() string { return "proto" }

// Raw is a protocol message already encoded as protobuf bytes. The codec sends a Raw (or
// *Raw) as it is, and unmarshals into a *Raw by keeping the received bytes, which belong
// to the receiver. It lets one end encode or decode a batch straight from or into its own
// types, with hand-registered service handlers that take and return Raw.
type Raw []byte

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	switch r := v.(type) {
	case Raw:
		return mem.BufferSlice{mem.SliceBuffer(r)}, nil
	case *Raw:
		return mem.BufferSlice{mem.SliceBuffer(*r)}, nil
	}
	m, ok := v.(vtMessage)
	if !ok {
		return c.fallback.Marshal(v)
	}
	size := m.SizeVT()
	if mem.IsBelowBufferPoolingThreshold(size) {
		buf := make([]byte, size)
		if _, err := m.MarshalToSizedBufferVT(buf); err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if _, err := m.MarshalToSizedBufferVT(*buf); err != nil {
		pool.Put(buf)
		return nil, err
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *Raw:
		*m = data.Materialize()
		return nil
	case *pluginv1.PollResponse:
		recs, err := decodeBatch(data.Materialize(), PollRecords, PollSchemas, skipField, nil)
		m.Records = recs
		return err
	case *LazyPoll:
		recs, err := decodeBatch(data.Materialize(), PollRecords, PollSchemas, skipField, m)
		m.Records = recs
		return err
	case *pluginv1.PutRequest:
		recs, err := decodeBatch(data.Materialize(), PutRecords, 0, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
			if num == PutHandle && typ == protowire.BytesType {
				h, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return 0, protowire.ParseError(n)
				}
				m.Handle = string(h)
				return n, nil
			}
			return skipField(num, typ, b)
		}, nil)
		m.Records = recs
		return err
	case vtMessage:
		return m.UnmarshalVT(data.Materialize())
	}
	return c.fallback.Unmarshal(data, v)
}

// Batches are decoded into a buffer of their own: Materialize copies the received bytes
// into a new slice that nothing else holds or reuses, so the records' strings and bytes
// can point into it (one allocation per batch, not one per field). Bytes are capped at
// their length, so a receiver appending to a record's bytes gets a copy instead of
// overwriting the next field.

func skipField(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, protowire.ParseError(n)
	}
	return n, nil
}

func capValue(v *pluginv1.Value) {
	if v == nil {
		return
	}
	switch k := v.Kind.(type) {
	case *pluginv1.Value_BytesValue:
		k.BytesValue = capped(k.BytesValue)
	case *pluginv1.Value_StructValue:
		for _, f := range k.StructValue.GetFields() {
			capValue(f.Value)
		}
	case *pluginv1.Value_ListValue:
		for _, e := range k.ListValue.GetValues() {
			capValue(e)
		}
	case *pluginv1.Value_MapValue:
		for _, e := range k.MapValue.GetEntries() {
			capValue(e.Key)
			capValue(e.Value)
		}
	}
}

// capSchema caps the bytes inside default values; a schema has no other bytes.
func capSchema(s *pluginv1.Schema) {
	if s == nil {
		return
	}
	capValue(s.DefaultValue)
	for _, f := range s.Fields {
		capSchema(f.Schema)
	}
	capSchema(s.KeySchema)
	capSchema(s.ValueSchema)
}

func capped(b []byte) []byte { return b[:len(b):len(b)] }
