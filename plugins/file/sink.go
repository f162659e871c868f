package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

const keyTopics = "topics"

// writeThreshold is how much a sink task buffers before writing to the file between
// flushes.
const writeThreshold = 256 << 10

type sinkConnector struct{ sdk.ConnectorBase }

func (sinkConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "file-sink",
		Type:        sdk.Sink,
		Version:     version,
		Aliases:     []string{"org.apache.kafka.connect.file.FileStreamSinkConnector", "FileStreamSink"},
		Description: "Appends each record's value to a text file, one line per record.",
		Config: new(sdk.ConfigDef).
			Define(keyFile, sdk.TypeString, sdk.High, "Path of the file to append to; created if it does not exist.",
				sdk.Required(), sdk.DisplayName("File")).
			Define(keyTopics, sdk.TypeList, sdk.High, "The topics to consume, comma-separated. Read by the kernel, which assigns their partitions to the tasks.",
				sdk.DisplayName("Topics")).
			RefuseUnknown(),
	}
}

// TaskConfigs gives every task the connector's config, as upstream: each task appends
// whole lines with O_APPEND, so several tasks may share the file.
func (sinkConnector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = cfg.Clone()
	}
	return out, nil
}

func (sinkConnector) NewSinkTask() sdk.SinkTask { return &sinkTask{} }

// sinkTask appends one line per record: the value as text (a string as is, bytes raw,
// null as "null", anything else as JSON). It buffers lines and writes whole lines only,
// so concurrent tasks on one file never interleave within a line.
type sinkTask struct {
	path string
	f    *os.File
	buf  []byte
	log  hclog.Logger
}

func (t *sinkTask) Open(_ context.Context, tc sdk.TaskContext, _ []sdk.TopicPartition) error {
	t.path = tc.Config.String(keyFile)
	t.log = tc.Logger
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("file-sink: %w", err)
	}
	t.f = f
	t.buf = make([]byte, 0, writeThreshold+4096)
	return nil
}

func (t *sinkTask) Put(_ context.Context, records []sdk.SinkRecord) error {
	for i := range records {
		t.buf = data.AppendText(t.buf, records[i].Value)
		t.buf = append(t.buf, '\n')
		if len(t.buf) >= writeThreshold {
			if err := t.write(); err != nil {
				return err
			}
		}
	}
	return nil
}

// write writes the buffered lines to the file.
func (t *sinkTask) write() error {
	if len(t.buf) == 0 {
		return nil
	}
	n, err := t.f.Write(t.buf)
	t.buf = t.buf[:copy(t.buf, t.buf[n:])]
	if err != nil {
		return fmt.Errorf("file-sink: write %s: %w", t.path, err)
	}
	return nil
}

// Flush writes what is buffered and fsyncs the file: every record put so far is durable,
// so the offsets the kernel gave are the ones to commit.
func (t *sinkTask) Flush(_ context.Context, offsets map[sdk.TopicPartition]int64) (map[sdk.TopicPartition]int64, error) {
	if err := t.write(); err != nil {
		return nil, err
	}
	if err := t.f.Sync(); err != nil {
		return nil, fmt.Errorf("file-sink: fsync %s: %w", t.path, err)
	}
	return offsets, nil
}

// Close writes and syncs what was put since the last flush, then closes the file.
func (t *sinkTask) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.write()
	if err == nil {
		err = t.f.Sync()
	}
	if cerr := t.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("file-sink: close %s: %w", t.path, cerr)
	}
	t.f = nil
	return err
}
