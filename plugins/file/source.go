package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// Source config keys; the names are Kafka Connect's.
const (
	keyFile      = "file"
	keyTopic     = "topic"
	keyBatchSize = "batch.size"
)

const (
	// readBufferSize is the initial read buffer; it grows for lines longer than it.
	readBufferSize = 128 << 10
	// idleCheck is how often a source at the end of its file looks for appended data.
	idleCheck = 25 * time.Millisecond
	// maxIdleWait bounds the wait for data when the poll context has no deadline.
	maxIdleWait = time.Second
)

type sourceConnector struct{ sdk.ConnectorBase }

func (sourceConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "file-source",
		Type:        sdk.Source,
		Version:     version,
		Aliases:     []string{"org.apache.kafka.connect.file.FileStreamSourceConnector", "FileStreamSource"},
		Description: "Reads a text file line by line, following appends, and produces each line as a string record.",
		Config: new(sdk.ConfigDef).
			Define(keyFile, sdk.TypeString, sdk.High, "Path of the file to read. It must exist when the task starts.",
				sdk.Required(), sdk.DisplayName("File")).
			Define(keyTopic, sdk.TypeString, sdk.High, "The topic to publish the lines to.",
				sdk.Required(), sdk.DisplayName("Topic")).
			Define(keyBatchSize, sdk.TypeInt, sdk.Low, "The maximum number of lines the task returns in one poll.",
				sdk.Default("2000"), sdk.DisplayName("Batch size")).
			RefuseUnknown(),
	}
}

func (sourceConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	if n, err := cfg.Int(keyBatchSize); err == nil && n < 1 {
		return []sdk.ConfigError{{Key: keyBatchSize, Message: fmt.Sprintf("Invalid value %d for configuration batch.size: must be at least 1", n)}}
	}
	return nil
}

// TaskConfigs (from sdk.ConnectorBase) yields a single task whatever tasks.max says:
// only one reader of a file makes sense, as upstream.

func (sourceConnector) NewSourceTask() sdk.SourceTask { return &sourceTask{} }

// sourceTask reads one file. Its source partition is {"filename": path} and each record's
// offset {"position": N}, N being the byte offset just after the record's line, as Kafka
// Connect's FileStreamSourceTask writes them.
type sourceTask struct {
	path      string
	topic     string
	batchSize int
	log       hclog.Logger

	f          *os.File
	buf        []byte // buf[start:end] is read but not yet returned
	start, end int
	pos        int64 // file position of buf[start]

	partition sdk.Partition // shared by every record
	lines     []line        // scratch for appendLines
}

func (t *sourceTask) Open(_ context.Context, tc sdk.TaskContext) error {
	t.path = tc.Config.String(keyFile)
	t.topic = tc.Config.String(keyTopic)
	t.log = tc.Logger
	var err error
	if t.batchSize, err = tc.Config.Int(keyBatchSize); err != nil {
		return err
	}
	if t.batchSize < 1 {
		return sdk.ConfigError{Key: keyBatchSize, Message: "must be at least 1"}
	}
	t.partition = sdk.Partition{"filename": t.path}

	f, err := os.Open(t.path)
	if err != nil {
		return fmt.Errorf("file-source: %w", err)
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		_ = f.Close()
		if err == nil {
			err = fmt.Errorf("%s is a directory", t.path)
		}
		return fmt.Errorf("file-source: %w", err)
	}
	t.f = f
	t.buf = make([]byte, readBufferSize)

	if off, ok := tc.Offset(t.partition); ok {
		pos, isNum := off.Int("position")
		if !isNum || pos < 0 {
			return fmt.Errorf("file-source: committed offset for %s has an invalid position %v", t.path, off)
		}
		if _, err := f.Seek(pos, io.SeekStart); err != nil {
			return fmt.Errorf("file-source: seek %s to %d: %w", t.path, pos, err)
		}
		t.pos = pos
		if fi, err := f.Stat(); err == nil && fi.Size() < pos {
			t.log.Warn("file is shorter than its committed position; waiting for it to grow past it",
				"file", t.path, "size", fi.Size(), "position", pos)
		}
		t.log.Info("resuming file", "file", t.path, "position", pos)
	} else {
		t.log.Info("reading file from the start", "file", t.path)
	}
	return nil
}

// Poll returns up to batch.size complete lines. At the end of the file it waits for
// appended data until ctx ends (at most maxIdleWait without a deadline), then returns
// nothing. A last line without its terminator is held back until the terminator arrives.
func (t *sourceTask) Poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	var out []sdk.SourceRecord
	var waitUntil time.Time
	for {
		out = t.appendLines(out, t.batchSize-len(out))
		if len(out) == t.batchSize {
			return out, nil
		}
		n, err := t.fill()
		if n > 0 {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return out, fmt.Errorf("file-source: read %s: %w", t.path, err)
		}
		if len(out) > 0 {
			return out, nil
		}
		// At the end of the file with no complete line: wait a little for appends, until
		// ctx ends (or, without a deadline, for maxIdleWait).
		wait := idleCheck
		if _, ok := ctx.Deadline(); !ok {
			if waitUntil.IsZero() {
				waitUntil = time.Now().Add(maxIdleWait)
			}
			wait = min(time.Until(waitUntil), idleCheck)
		}
		if wait <= 0 || ctx.Err() != nil {
			return nil, nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, nil
		case <-timer.C:
		}
	}
}

// fill reads more of the file into the buffer, first making room by moving the unread
// bytes to its front, or growing it when a single line fills it.
func (t *sourceTask) fill() (int, error) {
	if t.start == t.end {
		t.start, t.end = 0, 0
	}
	if t.end == len(t.buf) {
		if t.start > 0 {
			t.end = copy(t.buf, t.buf[t.start:t.end])
			t.start = 0
		} else {
			grown := make([]byte, 2*len(t.buf))
			t.end = copy(grown, t.buf[:t.end])
			t.buf = grown
		}
	}
	n, err := t.f.Read(t.buf[t.end:])
	t.end += n
	return n, err
}

// lineEnd finds the first line terminator in b — "\n", "\r\n" or a lone "\r", as
// FileStreamSourceTask reads them — and returns where the line ends and where the next
// begins. ok is false when b holds no complete line (a trailing "\r" might still be
// followed by "\n").
func lineEnd(b []byte) (end, next int, ok bool) {
	nl := bytes.IndexByte(b, '\n')
	limit := nl
	if limit < 0 {
		limit = len(b)
	}
	if cr := bytes.IndexByte(b[:limit], '\r'); cr >= 0 {
		switch {
		case cr+1 == len(b):
			return 0, 0, false
		case b[cr+1] == '\n':
			return cr, cr + 2, true
		default:
			return cr, cr + 1, true
		}
	}
	if nl < 0 {
		return 0, 0, false
	}
	return nl, nl + 1, true
}

// line is one complete line found in the buffer: its bytes are buf[start:end]; pos is
// the file position just after its terminator.
type line struct {
	start, end int
	pos        int64
}

// appendLines appends up to limit records for the complete lines in the buffer to out,
// consuming them. The lines of one call share one string holding all their text.
func (t *sourceTask) appendLines(out []sdk.SourceRecord, limit int) []sdk.SourceRecord {
	lines := t.lines[:0]
	var textLen int
	for len(lines) < limit {
		end, next, ok := lineEnd(t.buf[t.start:t.end])
		if !ok {
			break
		}
		t.pos += int64(next)
		lines = append(lines, line{t.start, t.start + end, t.pos})
		textLen += end
		t.start += next
	}
	t.lines = lines
	if len(lines) == 0 {
		return out
	}

	var sb strings.Builder
	sb.Grow(textLen)
	for _, l := range lines {
		sb.Write(t.buf[l.start:l.end])
	}
	text := sb.String()
	valid := utf8.ValidString(text)
	if out == nil {
		out = make([]sdk.SourceRecord, 0, len(lines))
	}
	at := 0
	for _, l := range lines {
		n := l.end - l.start
		v := text[at : at+n]
		if !valid {
			// A string field must hold valid UTF-8; replace what is not, as a Java
			// reader decoding UTF-8 would.
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		at += n
		out = append(out, sdk.SourceRecord{
			SourcePartition: t.partition,
			SourceOffset:    sdk.IntOffset("position", l.pos),
			Topic:           t.topic,
			Value:           v,
			ValueSchema:     data.StringSchema,
		})
	}
	return out
}

// Commit has nothing to acknowledge: the file needs no upstream confirmation.
func (t *sourceTask) Commit(context.Context, []sdk.CommittedOffset) error { return nil }

func (t *sourceTask) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}
