package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// logger logs what happens outside a task (the kernel collects the plugin's stderr).
var logger = hclog.New(&hclog.LoggerOptions{Name: "jdbc", Output: os.Stderr, JSONFormat: true})

// Confluent's connector classes, which users' configs name.
const (
	sourceClass = "io.confluent.connect.jdbc.JdbcSourceConnector"
	sinkClass   = "io.confluent.connect.jdbc.JdbcSinkConnector"
)

// sourceConnector is the JDBC source.
type sourceConnector struct{ sdk.ConnectorBase }

func (sourceConnector) Definition() sdk.Definition {
	return sdk.Definition{
		Name:        "jdbc-source",
		Type:        sdk.Source,
		Version:     version,
		Aliases:     []string{sourceClass, "JdbcSourceConnector"},
		Description: "Polls PostgreSQL and MySQL/MariaDB tables or a query (bulk, incrementing, timestamp, timestamp+incrementing) as Confluent's JDBC source.",
		Config:      sourceDef,
	}
}

func (sourceConnector) Validate(cfg sdk.Config) []sdk.ConfigError {
	_, errs := parseSourceConfig(cfg)
	return errs
}

// TaskConfigs lists the tables to read and spreads them over at most maxTasks tasks,
// as Confluent does; a query is one task.
func (sourceConnector) TaskConfigs(raw sdk.Config, maxTasks int) ([]map[string]string, error) {
	cfg, errs := parseSourceConfig(raw)
	if len(errs) > 0 {
		return nil, sdk.ConfigErrors(errs)
	}
	if cfg.query != "" {
		return []map[string]string{raw.Clone()}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, db, err := connect(ctx, cfg.connConfig)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tables, err := selectTables(ctx, d, db, cfg)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.fqn()
	}
	groups := groupTables(names, max(1, maxTasks))
	if len(groups) == 0 {
		logger.Warn("no tables match the source's lists yet; one task waits for them", "table.poll.interval.ms", cfg.tablePoll.Milliseconds())
		groups = [][]string{nil}
	}
	out := make([]map[string]string, len(groups))
	for i, g := range groups {
		c := raw.Clone()
		c[keyTables] = strings.Join(g, ",")
		c[keyTaskSlot] = fmt.Sprintf("%d/%d", i, len(groups))
		out[i] = c
	}
	return out, nil
}

func (sourceConnector) NewSourceTask() sdk.SourceTask { return &sourceTask{} }

// sourceTask polls its tables (or the query) in turn, each at most every
// poll.interval.ms, as Confluent's JdbcSourceTask.
type sourceTask struct {
	cfg       *sourceConfig
	log       hclog.Logger
	d         dialect
	db        *sql.DB
	tc        sdk.TaskContext
	queriers  []*querier
	known     map[string]bool // tables seen when the task opened, or adopted since
	nextList  time.Time
	failures  int
	listSlots bool // the task adopts new tables (it has a slot, or reads all)
}

func (t *sourceTask) Open(ctx context.Context, tc sdk.TaskContext) error {
	cfg, errs := parseSourceConfig(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.cfg, t.tc, t.log = cfg, tc, tc.Logger
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	d, db, err := connect(ctx, cfg.connConfig)
	if err != nil {
		return err
	}
	t.d, t.db = d, db
	committed := func(p sdk.Partition) (sdk.Offset, bool) { return tc.Offset(p) }
	if cfg.query != "" {
		t.queriers = []*querier{newQuerier(d, db, cfg, nil, committed)}
		return nil
	}
	tables, err := selectTables(ctx, d, db, cfg)
	if err != nil {
		return fmt.Errorf("listing tables: %w", err)
	}
	t.known = map[string]bool{}
	mine := map[string]bool{}
	for _, n := range cfg.tables {
		mine[n] = true
	}
	readAll := cfg.slots == 0 // opened without the connector's split: read every table
	if readAll {
		cfg.slot, cfg.slots = 0, 1
	}
	for _, tb := range tables {
		t.known[tb.fqn()] = true
		if readAll || mine[tb.fqn()] {
			tb := tb
			t.queriers = append(t.queriers, newQuerier(d, db, cfg, &tb, committed))
		}
	}
	t.nextList = time.Now().Add(cfg.tablePoll)
	return nil
}

// refreshTables adopts tables created since the task opened that fall to its slot, and
// drops the ones that are gone, every table.poll.interval.ms.
func (t *sourceTask) refreshTables(ctx context.Context) {
	if t.cfg.query != "" || t.cfg.tablePoll <= 0 || time.Now().Before(t.nextList) {
		return
	}
	t.nextList = time.Now().Add(t.cfg.tablePoll)
	tables, err := selectTables(ctx, t.d, t.db, t.cfg)
	if err != nil {
		t.log.Warn("listing tables failed; keeping the current ones", "error", err)
		return
	}
	present := map[string]bool{}
	committed := func(p sdk.Partition) (sdk.Offset, bool) { return t.tc.Offset(p) }
	for _, tb := range tables {
		present[tb.fqn()] = true
		if t.known[tb.fqn()] {
			continue
		}
		t.known[tb.fqn()] = true
		if slotOf(tb.fqn(), t.cfg.slots) == t.cfg.slot {
			tb := tb
			t.log.Info("reading a new table", "table", tb.fqn())
			t.queriers = append(t.queriers, newQuerier(t.d, t.db, t.cfg, &tb, committed))
		}
	}
	kept := t.queriers[:0]
	for _, q := range t.queriers {
		if present[q.name] {
			kept = append(kept, q)
			continue
		}
		t.log.Info("a table is gone; no longer reading it", "table", q.name)
		q.finish()
		delete(t.known, q.name)
	}
	t.queriers = kept
}

// Poll reads the querier due first: up to batch.max.rows of its result, running its
// statement when no result is open. A querier whose result is read to the end is due
// again poll.interval.ms later.
func (t *sourceTask) Poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	for {
		t.refreshTables(ctx)
		if len(t.queriers) == 0 {
			return nil, wait(ctx, t.nextList)
		}
		qr := t.queriers[0]
		for _, q := range t.queriers[1:] {
			if q.nextRun.Before(qr.nextRun) {
				qr = q
			}
		}
		if !qr.open() {
			if err := wait(ctx, qr.nextRun); err != nil {
				return nil, nil
			}
			if err := qr.start(ctx); err != nil {
				if retry := t.queryFailed(qr, err); retry != nil {
					return nil, retry
				}
				continue
			}
		}
		recs, done, err := qr.read(make([]sdk.SourceRecord, 0, min(t.cfg.batchMaxRows, 4096)), t.cfg.batchMaxRows)
		if done {
			qr.nextRun = time.Now().Add(t.cfg.pollInterval)
		}
		if err != nil {
			if retry := t.queryFailed(qr, err); retry != nil {
				return nil, retry
			}
			continue
		}
		t.failures = 0
		if len(recs) > 0 {
			return recs, nil
		}
		if ctx.Err() != nil {
			return nil, nil
		}
	}
}

// queryFailed decides about a failed statement: a config problem fails the task, other
// failures are retried at the next poll interval up to query.retry.attempts times
// (-1: forever); it returns the error that ends the task, if any.
func (t *sourceTask) queryFailed(qr *querier, err error) error {
	var ce sdk.ConfigError
	if errors.As(err, &ce) {
		return err
	}
	if strings.Contains(err.Error(), "has no Connect mapping") || strings.Contains(err.Error(), "NUMERIC without precision") {
		return err
	}
	t.failures++
	if t.cfg.queryRetries >= 0 && t.failures > t.cfg.queryRetries {
		return fmt.Errorf("jdbc source: %w (after %s=%d retries)", err, keyQueryRetries, t.cfg.queryRetries)
	}
	t.log.Warn("query failed; retrying at the next poll", "table", qr.name, "error", err)
	qr.nextRun = time.Now().Add(t.cfg.pollInterval)
	return nil
}

// wait waits until at, or until ctx ends (returning its error).
func wait(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Commit does nothing: the source's position lives in the kernel's offsets.
func (t *sourceTask) Commit(context.Context, []sdk.CommittedOffset) error { return nil }

func (t *sourceTask) Close() error {
	for _, q := range t.queriers {
		q.finish()
	}
	if t.db != nil {
		return t.db.Close()
	}
	return nil
}
