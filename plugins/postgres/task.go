package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributary-dev/tributary/plugins/sdk"
	"github.com/tributary-dev/tributary/plugins/sdk/data"
)

// task is the connector's one source task: it snapshots when the snapshot mode says so,
// then streams the slot. Offsets confirm the slot only from Commit.
type task struct {
	cfg  *config
	log  hclog.Logger
	part sdk.Partition
	pos  position // the committed position it resumed from (zero: none)

	conn *pgx.Conn      // catalog, snapshot and heartbeat queries
	repl *pgconn.PgConn // the replication connection
	cat  *catalog

	snap      *snapshotter
	startLSN  uint64 // where streaming starts after the snapshot
	streaming bool   // start streaming once the snapshot ends (false: initial_only)
	reader    *replicationReader
	dec       *decoder

	lastHeartbeat time.Time
	failed        error
	out           []sdk.SourceRecord
}

func (t *task) Open(ctx context.Context, tc sdk.TaskContext) error {
	cfg, errs := parseConfig(tc.Config)
	if len(errs) > 0 {
		return sdk.ConfigErrors(errs)
	}
	t.cfg, t.log, t.part = cfg, tc.Logger, partition(cfg.Prefix)
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	t.pos.event = -1
	if n, _ := tc.Config.Int("tasks.max"); n > 1 {
		t.log.Info("tasks.max > 1 is accepted but one task runs: one replication slot has one reader, as in Debezium", "tasks.max", n)
	}
	if tc.Config.String(keyServerName) != "" {
		t.log.Info("database.server.name is ignored, as Debezium 2 ignores it; topic.prefix names the server")
	}
	committed, hasPos := tc.Offset(t.part)
	if hasPos {
		t.pos, hasPos = readPosition(committed)
	}
	var err error
	if t.conn, err = pgx.Connect(ctx, cfg.dsn(false)); err != nil {
		return fmt.Errorf("connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.DBName, err)
	}
	t.cat = newCatalog(t.conn, cfg)
	if cfg.Snapshot == snapshotInitialOnly && (!hasPos || t.pos.snapshotting) {
		// No slot: the snapshot is all this mode reads.
		t.snap, err = beginSnapshot(ctx, t, "", 0, t.pos.tablesDone)
		return err
	}
	if cfg.Snapshot == snapshotInitialOnly {
		t.log.Info("snapshot.mode=initial_only and the snapshot completed: nothing to do")
		return nil
	}
	if err := t.ensurePublication(ctx); err != nil {
		return err
	}
	if t.repl, err = pgconn.Connect(ctx, cfg.dsn(true)); err != nil {
		return fmt.Errorf("replication connection to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.DBName, err)
	}
	slotFlush, slotExists, err := t.slot(ctx)
	if err != nil {
		return err
	}
	var snapshot bool
	switch cfg.Snapshot {
	case snapshotInitial:
		snapshot = !hasPos || t.pos.snapshotting
	case snapshotAlways:
		snapshot = true
	case snapshotWhenNeeded:
		snapshot = !hasPos || t.pos.snapshotting || !slotExists
	}
	if hasPos && !slotExists && !snapshot {
		return fmt.Errorf("replication slot %q is gone but committed offsets exist: changes since %s are lost to it; set %s=when_needed (or always) to snapshot again", cfg.Slot, lsnString(t.pos.flush), keySnapshotMode)
	}
	exported, consistent := "", uint64(0)
	if !slotExists {
		action := "NOEXPORT_SNAPSHOT"
		if snapshot {
			action = "EXPORT_SNAPSHOT"
		}
		res, err := pglogrepl.CreateReplicationSlot(ctx, t.repl, cfg.Slot, "pgoutput", pglogrepl.CreateReplicationSlotOptions{SnapshotAction: action, Mode: pglogrepl.LogicalReplication})
		if err != nil {
			return fmt.Errorf("create replication slot %q: %w", cfg.Slot, err)
		}
		if consistent, err = parseLSN(res.ConsistentPoint); err != nil {
			return err
		}
		exported, slotFlush = res.SnapshotName, consistent
		t.log.Info("created replication slot", "slot", cfg.Slot, "consistent_point", res.ConsistentPoint)
	}
	t.startLSN = max(slotFlush, t.pos.flush)
	t.streaming = true
	if snapshot {
		var skip []string // tables an interrupted snapshot finished
		if t.pos.snapshotting {
			skip = t.pos.tablesDone
		}
		t.snap, err = beginSnapshot(ctx, t, exported, consistent, skip)
		return err
	}
	return t.startStreaming(ctx)
}

// slot returns the slot's confirmed flush position and whether it exists.
func (t *task) slot(ctx context.Context) (uint64, bool, error) {
	var plugin, db string
	var flush *string
	err := t.conn.QueryRow(ctx, `SELECT plugin, database, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1`, t.cfg.Slot).Scan(&plugin, &db, &flush)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up replication slot %q: %w", t.cfg.Slot, err)
	}
	if plugin != "pgoutput" || db != t.cfg.DBName {
		return 0, false, fmt.Errorf("replication slot %q belongs to plugin %s on database %s, not pgoutput on %s; choose another %s", t.cfg.Slot, plugin, db, t.cfg.DBName, keySlotName)
	}
	if flush == nil {
		return 0, true, nil
	}
	lsn, err := parseLSN(*flush)
	return lsn, true, err
}

// ensurePublication creates (or, when filtered, updates) the publication as
// publication.autocreate.mode says.
func (t *task) ensurePublication(ctx context.Context) error {
	name := pgx.Identifier{t.cfg.Publication}.Sanitize()
	var all bool
	err := t.conn.QueryRow(ctx, `SELECT puballtables FROM pg_publication WHERE pubname = $1`, t.cfg.Publication).Scan(&all)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up publication %q: %w", t.cfg.Publication, err)
	}
	switch t.cfg.PublicationMode {
	case "disabled":
		if !exists {
			return fmt.Errorf("publication %q does not exist and %s=disabled: create it (CREATE PUBLICATION %s FOR ALL TABLES) or set %s=all_tables", t.cfg.Publication, keyPublicationMode, name, keyPublicationMode)
		}
	case "all_tables":
		if !exists {
			if _, err := t.conn.Exec(ctx, "CREATE PUBLICATION "+name+" FOR ALL TABLES"); err != nil {
				return fmt.Errorf("create publication %q for all tables: %w", t.cfg.Publication, err)
			}
			t.log.Info("created publication for all tables", "publication", t.cfg.Publication)
		}
	case "filtered":
		tables, err := t.cat.capturedTables(ctx)
		if err != nil {
			return err
		}
		list := ""
		for i, tb := range tables {
			if i > 0 {
				list += ", "
			}
			list += pgx.Identifier{tb.Schema, tb.Name}.Sanitize()
		}
		var sql string
		switch {
		case !exists && list == "":
			sql = "CREATE PUBLICATION " + name
		case !exists:
			sql = "CREATE PUBLICATION " + name + " FOR TABLE " + list
		case all:
			return fmt.Errorf("publication %q is FOR ALL TABLES but %s=filtered: drop it or set %s=all_tables", t.cfg.Publication, keyPublicationMode, keyPublicationMode)
		case list != "":
			sql = "ALTER PUBLICATION " + name + " SET TABLE " + list
		}
		if sql != "" {
			if _, err := t.conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("publication %q: %s: %w", t.cfg.Publication, sql, err)
			}
		}
	}
	return nil
}

// slotWait bounds how long a task waits for another reader (a task that was moved or
// killed, whose walsender has not noticed yet) to let go of the slot.
const slotWait = 60 * time.Second

func (t *task) startStreaming(ctx context.Context) error {
	deadline := time.Now().Add(slotWait)
	for {
		var pid *int32
		err := t.conn.QueryRow(ctx, `SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, t.cfg.Slot).Scan(&pid)
		if err != nil {
			return fmt.Errorf("replication slot %q: %w", t.cfg.Slot, err)
		}
		if pid == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replication slot %q is still in use by server process %d after %s: another connector (or a stale task) reads it; stop it or set another %s", t.cfg.Slot, *pid, slotWait, keySlotName)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	r, err := startReplication(ctx, t.repl, t.cfg.Slot, t.cfg.Publication, t.startLSN, t.cfg.StatusInterval, t.log)
	if err != nil {
		return err
	}
	t.reader, t.dec = r, newDecoder(t, t.startLSN)
	t.lastHeartbeat = time.Now()
	t.log.Info("streaming changes", "slot", t.cfg.Slot, "from", lsnString(t.startLSN))
	return nil
}

func (t *task) Poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	if t.failed != nil {
		return nil, t.failed
	}
	recs, err := t.poll(ctx)
	if err != nil && ctx.Err() == nil {
		t.failed = err
	}
	return recs, err
}

func (t *task) poll(ctx context.Context) ([]sdk.SourceRecord, error) {
	if t.snap != nil {
		recs, done, err := t.snap.next(ctx)
		if err != nil {
			return nil, err
		}
		if done {
			t.snap = nil
			if t.streaming {
				// Not bounded by the poll: a poll timeout must not fail the start.
				sctx, cancel := context.WithTimeout(context.Background(), slotWait+10*time.Second)
				err := t.startStreaming(sctx)
				cancel()
				if err != nil {
					return recs, err
				}
			}
		}
		return recs, nil
	}
	if t.reader == nil {
		<-ctx.Done() // initial_only, finished
		return nil, nil
	}
	t.out = t.out[:0]
	for len(t.out) < t.cfg.MaxBatch {
		select {
		case m := <-t.reader.messages:
			var err error
			if t.out, err = t.dec.handle(ctx, m, t.out); err != nil {
				return nil, t.decodeFailed(err)
			}
			continue
		default:
		}
		if len(t.out) > 0 {
			break
		}
		if err := t.reader.failure(); err != nil {
			return nil, err
		}
		if hb, ok, err := t.heartbeat(ctx); err != nil || ok {
			if ok {
				t.out = append(t.out, hb)
			}
			return t.out, err
		}
		wait := time.NewTimer(t.untilHeartbeat())
		select {
		case m := <-t.reader.messages:
			wait.Stop()
			var err error
			if t.out, err = t.dec.handle(ctx, m, t.out); err != nil {
				return nil, t.decodeFailed(err)
			}
		case <-t.reader.done:
			wait.Stop()
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return nil, nil
		}
	}
	return t.out, nil
}

// decodeFailed makes a decoding error final: the messages it consumed are gone from the
// stream, so the task must fail (and restart from the committed position) rather than
// poll on. The error's chain is cut so that it never reads as the poll's own context
// ending, which the SDK would take for an empty poll.
func (t *task) decodeFailed(err error) error {
	t.failed = fmt.Errorf("%v", err)
	return t.failed
}

func (t *task) untilHeartbeat() time.Duration {
	if t.cfg.Heartbeat <= 0 {
		return time.Hour
	}
	return max(time.Until(t.lastHeartbeat.Add(t.cfg.Heartbeat)), time.Millisecond)
}

// heartbeat returns a heartbeat record when one is due and the stream is idle. Its
// offset carries the server's latest sent WAL position, read before checking that every
// message received before it is decoded, so committing it lets the slot move past WAL
// of tables no one captures.
func (t *task) heartbeat(ctx context.Context) (sdk.SourceRecord, bool, error) {
	if t.cfg.Heartbeat <= 0 || time.Since(t.lastHeartbeat) < t.cfg.Heartbeat {
		return sdk.SourceRecord{}, false, nil
	}
	t.lastHeartbeat = time.Now()
	if !t.dec.idle() {
		// Mid-transaction: a heartbeat's position would sit behind the records already
		// polled from it, and a restart from it would repeat them. Skip this beat.
		return sdk.SourceRecord{}, false, nil
	}
	if t.cfg.HeartbeatQuery != "" {
		if _, err := t.conn.Exec(ctx, t.cfg.HeartbeatQuery); err != nil {
			return sdk.SourceRecord{}, false, fmt.Errorf("%s: %w", keyHeartbeatQuery, err)
		}
	}
	walEnd := t.reader.walEnd.Load()
	lsn := t.dec.lastEnd
	if len(t.reader.messages) == 0 && walEnd > lsn {
		lsn = walEnd
	}
	now := time.Now()
	key := data.NewStruct(heartbeatKeySchema).PutAt(0, t.cfg.Prefix)
	value := data.NewStruct(heartbeatValueSchema).PutAt(0, now.UnixMilli())
	off := map[string]any{offLSN: int64(lsn), offLSNCommit: int64(lsn), offFlush: int64(lsn), offTsUsec: now.UnixMicro(), offHeartbeat: true}
	return sdk.SourceRecord{SourcePartition: t.part, SourceOffset: sdk.OffsetOf(off), Topic: t.cfg.HeartbeatTopic,
		Key: key, KeySchema: heartbeatKeySchema, Value: value, ValueSchema: heartbeatValueSchema, Timestamp: now}, true, nil
}

// Commit confirms to the slot the flush position of the newest committed offset.
func (t *task) Commit(_ context.Context, offsets []sdk.CommittedOffset) error {
	if t.reader == nil {
		return nil
	}
	for _, o := range offsets {
		if s, _ := o.Partition.String("server"); s != t.cfg.Prefix {
			continue
		}
		if n, ok := o.Offset.Int(offFlush); ok && n > 0 {
			t.reader.confirm(uint64(n))
		} else if last, _ := o.Offset.Bool(offLastSnapshot); last {
			if n, ok := o.Offset.Int(offLSN); ok && n > 0 {
				t.reader.confirm(uint64(n))
			}
		}
	}
	return nil
}

func (t *task) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if t.snap != nil {
		t.snap.abort()
	}
	if t.reader != nil {
		t.reader.stop()
	}
	if t.repl != nil {
		_ = t.repl.Close(ctx)
	}
	var err error
	if t.conn != nil {
		if t.cfg.DropSlot {
			// The walsender may take a moment to let go of the slot.
			for range 50 {
				if _, err = t.conn.Exec(ctx, "SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1", t.cfg.Slot); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				err = fmt.Errorf("drop replication slot %q: %w", t.cfg.Slot, err)
			}
		}
		_ = t.conn.Close(ctx)
	}
	return err
}

// record makes a change record of table tb.
func (t *task) record(tb *table, key *data.Struct, env *data.Struct, off sdk.Offset, now time.Time) sdk.SourceRecord {
	r := sdk.SourceRecord{SourcePartition: t.part, SourceOffset: off, Topic: tb.topic,
		Value: env, ValueSchema: tb.envSchema, Timestamp: now}
	if key != nil {
		r.Key, r.KeySchema = key, tb.keySchema
	}
	return r
}

// tombstone is the null-valued record that follows a delete.
func (t *task) tombstone(tb *table, key *data.Struct, now time.Time) sdk.SourceRecord {
	r := sdk.SourceRecord{SourcePartition: t.part, Topic: tb.topic, Timestamp: now}
	if key != nil {
		r.Key, r.KeySchema = key, tb.keySchema
	}
	return r
}

func parseLSN(s string) (uint64, error) {
	l, err := pglogrepl.ParseLSN(s)
	if err != nil {
		return 0, fmt.Errorf("LSN %q: %w", s, err)
	}
	return uint64(l), nil
}

func lsnString(l uint64) string { return pglogrepl.LSN(l).String() }
