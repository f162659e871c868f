package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// sinkConnector is the JDBC sink.
type sinkConnector struct{ sdk.ConnectorBase }

func (sinkConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "jdbc-sink",
		Type:        sdk.Sink,
		Version:     version,
		Aliases:     []string{sinkClass, "JdbcSinkConnector"},
		Description: "Writes records to PostgreSQL and MySQL/MariaDB tables (insert, upsert, update, delete) as Confluent's JDBC sink.",
		Config:      sinkDef,
	}
}

func (sinkConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseSinkConfig(cfg)
	return errs
}

// TaskConfigs gives every task the connector's config: the kernel spreads the topics'
// partitions over them.
func (sinkConnector) TaskConfigs(cfg sdk.Config, maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, max(1, maxTasks))
	for i := range out {
		out[i] = cfg.Clone()
	}
	return out, nil
}

func (sinkConnector) NewSinkTask() sdk.SinkTask { return &sinkTask{} }

// sinkTask writes each Put in one transaction and reports its offsets to Flush only
// after COMMIT.
type sinkTask struct {
	cfg *sinkConfig
	log hclog.Logger
	d   dialect
	db  *sql.DB
	w   *writer
	// tables holds the columns (lower case) of the tables known to exist.
	tables map[string]map[string]bool
	// layouts caches the layout of a table, key schema and value schema.
	layouts map[layoutKey]*layout
	done    map[sdk.TopicPartition]int64
	warned  bool
}

type layoutKey struct {
	table     string
	key, vals *data.Schema
	tombstone bool
}

func (t *sinkTask) Open(ctx context.Context, tc sdk.TaskContext, _ []sdk.TopicPartition) error {
	cfg, errs := parseSinkConfig(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.cfg, t.log = cfg, tc.Logger
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	d, db, err := connect(ctx, cfg.connConfig)
	if err != nil {
		return err
	}
	t.d, t.db = d, db
	t.w = &writer{d: d, cfg: cfg, q: quoter(d, cfg.quote)}
	t.tables = map[string]map[string]bool{}
	t.layouts = map[layoutKey]*layout{}
	t.done = map[sdk.TopicPartition]int64{}
	return nil
}

// tableName is the target table of topic, table.name.format with ${topic} replaced.
func (t *sinkTask) tableName(topic string) string {
	return strings.ReplaceAll(t.cfg.tableFormat, "${topic}", topic)
}

// tableIDOf reads a table name: [schema.]table (PostgreSQL), [database.]table (MySQL).
func (t *sinkTask) tableIDOf(name string) tableID {
	parts := strings.Split(name, ".")
	id := tableID{name: parts[len(parts)-1]}
	if len(parts) > 1 {
		if dbKindOf(t.d) == postgres {
			id.schema = parts[len(parts)-2]
		} else {
			id.catalog = parts[len(parts)-2]
		}
	}
	return id
}

// plan groups the records into runs: consecutive records of one table, kind and layout.
func (t *sinkTask) plan(records []sdk.SinkRecord) ([]*run, error) {
	var runs []*run
	for i := range records {
		r := &records[i]
		tombstone := r.Value == nil
		if tombstone && !t.cfg.deleteEnabled {
			if !t.warned {
				t.log.Warn("skipping tombstones (records with a null value): set delete.enabled=true to delete their rows", "topic", r.Topic)
				t.warned = true
			}
			continue
		}
		if !tombstone && r.ValueSchema == nil {
			return nil, recordError(r, fmt.Errorf("the value has no schema, and the JDBC sink needs one to know the columns: use a converter with schemas (value.converter=org.apache.kafka.connect.json.JsonConverter with value.converter.schemas.enable=true, or Avro/Protobuf/JSON Schema with a registry)"))
		}
		if !tombstone && r.ValueSchema.Type != data.TypeStruct {
			return nil, recordError(r, fmt.Errorf("the value schema is %s, and the JDBC sink writes structs (one field a column)", r.ValueSchema.Type))
		}
		name := t.tableName(r.Topic)
		lk := layoutKey{name, r.KeySchema, r.ValueSchema, tombstone}
		l, ok := t.layouts[lk]
		if !ok {
			var err error
			if l, err = layoutOf(t.cfg, r, tombstone); err != nil {
				return nil, recordError(r, err)
			}
			if len(t.layouts) > 1000 {
				clear(t.layouts)
			}
			t.layouts[lk] = l
		}
		kind := opWrite
		if tombstone {
			kind = opDelete
		}
		if n := len(runs); n > 0 && runs[n-1].table == name && runs[n-1].kind == kind && runs[n-1].layout == l {
			runs[n-1].recs = append(runs[n-1].recs, r)
			continue
		}
		runs = append(runs, &run{table: name, kind: kind, layout: l, recs: []*sdk.SinkRecord{r}})
	}
	return runs, nil
}

// Put writes the records in one transaction, retrying failures of the connection up to
// max.retries times retry.backoff.ms apart. A record the database refuses for its data
// fails the Put with a non-retriable error naming it (the kernel then puts the records
// one at a time and dead-letters the refused one under errors.tolerance=all); an outage
// that outlasts the retries is retriable (gRPC Unavailable).
func (t *sinkTask) Put(ctx context.Context, records []sdk.SinkRecord) error {
	runs, err := t.plan(records)
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		for attempt := 0; ; attempt++ {
			err = t.writeAll(ctx, runs)
			if err == nil {
				break
			}
			var de *dataError
			var ce sdk.ConfigError
			if errors.As(err, &de) || errors.As(err, &ce) || ctx.Err() != nil {
				return fmt.Errorf("jdbc sink: %w", err)
			}
			if attempt >= t.cfg.maxRetries {
				return status.Errorf(codes.Unavailable, "jdbc sink: still failing after %s=%d retries: %v", keyMaxRetries, t.cfg.maxRetries, err)
			}
			t.log.Warn("write failed; retrying", "attempt", attempt+1, "error", err)
			clear(t.tables) // the table may have changed, or the failure was ours
			select {
			case <-ctx.Done():
				return fmt.Errorf("jdbc sink: %w", ctx.Err())
			case <-time.After(t.cfg.retryBackoff):
			}
		}
	}
	for i := range records {
		tp := sdk.TopicPartition{Topic: records[i].Topic, Partition: records[i].Partition}
		if next := records[i].Offset + 1; next > t.done[tp] {
			if _, known := t.done[tp]; !known {
				tp.Topic = strings.Clone(tp.Topic) // the record's strings share the batch's memory
			}
			t.done[tp] = next
		}
	}
	return nil
}

// writeAll writes the runs in one transaction on one connection and commits.
func (t *sinkTask) writeAll(ctx context.Context, runs []*run) error {
	for _, r := range runs {
		if err := t.ensureTable(ctx, r); err != nil {
			return err
		}
	}
	// Deletes from a table that does not exist (auto.create, nothing written yet) have
	// nothing to delete.
	kept := runs[:0:0]
	for _, r := range runs {
		if _, exists := t.tables[r.table]; exists || r.kind != opDelete {
			kept = append(kept, r)
		}
	}
	runs = kept
	conn, err := t.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	for _, r := range runs {
		sqlRun := *r
		sqlRun.table = t.tableIDOf(r.table).sqlName(dbKindOf(t.d), t.w.q)
		if err := t.w.write(ctx, conn, &sqlRun); err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ensureTable makes sure a run's table exists with its columns: it creates it under
// auto.create and adds the missing optional columns under auto.evolve, as Confluent's
// DbStructure; otherwise a missing table or column is an error naming the key to set.
func (t *sinkTask) ensureTable(ctx context.Context, r *run) error {
	cols, ok := t.tables[r.table]
	if !ok {
		id := t.tableIDOf(r.table)
		desc, err := t.d.describe(ctx, t.db, id)
		if err != nil {
			return fmt.Errorf("describing table %s: %w", r.table, err)
		}
		if len(desc) == 0 {
			if !t.cfg.autoCreate {
				return &dataError{fmt.Errorf("table %s does not exist: create it, or set %s=true", r.table, keyAutoCreate)}
			}
			if r.kind == opDelete {
				return nil // nothing to delete from a table that is not there
			}
			if err := t.create(ctx, id, r.layout); err != nil {
				return err
			}
			if desc, err = t.d.describe(ctx, t.db, id); err != nil {
				return fmt.Errorf("describing table %s: %w", r.table, err)
			}
		}
		cols = map[string]bool{}
		for _, c := range desc {
			cols[strings.ToLower(c.name)] = true
		}
		t.tables[r.table] = cols
	}
	var missing []colSpec
	for _, c := range r.layout.all() {
		if !cols[strings.ToLower(c.name)] {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if !t.cfg.autoEvolve {
		return &dataError{fmt.Errorf("table %s has no column %s: add it, or set %s=true", r.table, missing[0].name, keyAutoEvolve)}
	}
	q := t.w.q
	for _, c := range missing {
		if !c.schema.Optional && c.schema.Default == nil {
			return &dataError{fmt.Errorf("table %s: auto.evolve adds only optional columns (or ones with a default), and field %s is required", r.table, c.name)}
		}
		typ, err := t.d.columnType(c.schema)
		if err != nil {
			return &dataError{fmt.Errorf("table %s column %s: %w", r.table, c.name, err)}
		}
		stmt := fmt.Sprintf("ALTER TABLE %s ADD %s %s", t.tableIDOf(r.table).sqlName(dbKindOf(t.d), q), q(c.name), typ)
		if _, err := t.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
		t.log.Info("added a column", "table", r.table, "column", c.name, "type", typ)
		cols[strings.ToLower(c.name)] = true
	}
	return nil
}

// create runs CREATE TABLE for a layout: the key columns NOT NULL and the PRIMARY KEY,
// the others NULL when their field is optional.
func (t *sinkTask) create(ctx context.Context, id tableID, l *layout) error {
	q := t.w.q
	var b strings.Builder
	b.WriteString("CREATE TABLE " + id.sqlName(dbKindOf(t.d), q) + " (")
	for i, c := range l.all() {
		if i > 0 {
			b.WriteString(", ")
		}
		typ, err := t.d.columnType(c.schema)
		if err != nil {
			return &dataError{fmt.Errorf("table %s column %s: %w", id.fqn(), c.name, err)}
		}
		if i < len(l.keys) && dbKindOf(t.d) == mysqlDB {
			if kt, ok := mysqlKeyType(c.schema); ok {
				typ = kt
			}
		}
		b.WriteString(q(c.name) + " " + typ)
		if i < len(l.keys) || !c.schema.Optional {
			b.WriteString(" NOT NULL")
		}
	}
	if len(l.keys) > 0 {
		b.WriteString(", PRIMARY KEY(" + strings.Join(mapStrings(names(l.keys), q), ",") + ")")
	}
	b.WriteString(")")
	if _, err := t.db.ExecContext(ctx, b.String()); err != nil {
		if desc, derr := t.d.describe(ctx, t.db, id); derr == nil && len(desc) > 0 {
			return nil // another task created it first
		}
		return fmt.Errorf("%s: %w", b.String(), err)
	}
	t.log.Info("created a table", "table", id.fqn())
	return nil
}

func mapStrings(xs []string, f func(string) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Flush reports, for each partition given, the offset after the last record of a Put
// that committed: Put commits before it returns, so there is nothing left to write.
func (t *sinkTask) Flush(_ context.Context, offsets map[sdk.TopicPartition]int64) (map[sdk.TopicPartition]int64, error) {
	out := make(map[sdk.TopicPartition]int64, len(offsets))
	for tp, off := range offsets {
		if d, ok := t.done[tp]; ok {
			out[tp] = min(off, d)
		}
	}
	return out, nil
}

func (t *sinkTask) Close() error {
	if t.db != nil {
		return t.db.Close()
	}
	return nil
}
