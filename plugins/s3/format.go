package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// encoder builds one object's bytes from records, as Confluent's RecordWriter for the
// format does. write either adds the whole record or, with an error, nothing of it.
type encoder interface {
	write(r *sdk.SinkRecord) error
	// finish ends the object and returns its bytes; the encoder is done.
	finish() ([]byte, error)
}

// newEncoder returns an encoder of cfg's format for records of value schema s (the
// file's first record's; Parquet and Avro files have one schema).
func newEncoder(cfg *config, s *data.Schema) (encoder, error) {
	switch cfg.format {
	case fmtParquet:
		return newParquetEncoder(cfg, s)
	case fmtAvro:
		return newAvroEncoder(cfg, s)
	}
	e := &lineEncoder{cfg: cfg, json: jsonWriterFor(cfg), sep: []byte("\n")}
	if cfg.format == fmtBytes {
		e.sep = cfg.bytesSep
	}
	e.out = &e.buf
	if cfg.gzip {
		zw, err := gzip.NewWriterLevel(&e.buf, cfg.gzipLevel)
		if err != nil {
			return nil, fmt.Errorf("gzip level %d: %w", cfg.gzipLevel, err)
		}
		e.out, e.zw = zw, zw
	}
	return e, nil
}

// lineEncoder writes JsonFormat (each value as JsonConverter with schemas.enable=false
// writes it, then a newline) and ByteArrayFormat (each value's bytes, then
// format.bytearray.separator), gzipped with s3.compression.type=gzip.
type lineEncoder struct {
	cfg     *config
	json    data.JSONWriter
	sep     []byte
	buf     bytes.Buffer
	out     io.Writer
	zw      *gzip.Writer
	scratch []byte
}

func (e *lineEncoder) write(r *sdk.SinkRecord) error {
	if e.cfg.format == fmtBytes {
		b, ok := r.Value.([]byte)
		if !ok {
			return fmt.Errorf("ByteArrayConverter is not compatible with objects of type %s (ByteArrayFormat writes bytes values: use value.converter=org.apache.kafka.connect.converters.ByteArrayConverter)", describe(r.Value))
		}
		if r.ValueSchema != nil && r.ValueSchema.Type != data.TypeBytes {
			return fmt.Errorf("Invalid schema type for ByteArrayConverter: %s", r.ValueSchema.Type)
		}
		if _, err := e.out.Write(b); err != nil {
			return err
		}
		_, err := e.out.Write(e.sep)
		return err
	}
	line, err := e.json.Append(e.scratch[:0], r.ValueSchema, r.Value)
	if err != nil {
		return fmt.Errorf("JsonFormat: %w", err)
	}
	e.scratch = append(line, e.sep...)
	_, err = e.out.Write(e.scratch)
	return err
}

func (e *lineEncoder) finish() ([]byte, error) {
	if e.zw != nil {
		if err := e.zw.Close(); err != nil {
			return nil, err
		}
	}
	return e.buf.Bytes(), nil
}

// sameSchema reports whether a and b are the same Connect schema (so a record of b may
// go on in a file of a under schema.compatibility=NONE).
func sameSchema(a, b *data.Schema) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.Type != b.Type || a.Optional != b.Optional || a.Name != b.Name || a.Version != b.Version || len(a.Fields) != len(b.Fields) ||
		len(a.Parameters) != len(b.Parameters) || !sameSchema(a.Key, b.Key) || !sameSchema(a.Value, b.Value) {
		return false
	}
	for k, v := range a.Parameters {
		if b.Parameters[k] != v {
			return false
		}
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || !sameSchema(a.Fields[i].Schema, b.Fields[i].Schema) {
			return false
		}
	}
	return true
}
