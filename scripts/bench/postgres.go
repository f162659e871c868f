package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// pgRows is how many rows each postgres run changes: a fifth of the records of the
// other phases (WAL decoding is the slow part), at most 200k.
func pgRows(env *benchEnv) int64 { return max(min(env.records/5, 200_000), 1000) }

// benchPostgres compares the PostgreSQL CDC source (tributary-postgres → kernel →
// topic, Debezium envelopes as JSON) with a raw pglogrepl reader that decodes the same
// WAL — the same inserted rows, read from a second slot created at the same point —
// into Go values and does nothing else. Each run inserts fresh rows in transactions of
// 1000. It also samples the plugin's peak RSS while it streams.
func benchPostgres(ctx context.Context, env *benchEnv, t *table) error {
	pg, err := startBenchPostgres()
	if err != nil {
		return err
	}
	defer pg.stop()
	a, err := startAgent(env, "postgres", env.profilePath("postgres-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	n := pgRows(env)
	if _, err := pg.psql(`CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, qty int, price numeric(10,2), updated timestamptz);
		CREATE PUBLICATION dbz_publication FOR ALL TABLES`); err != nil {
		return err
	}
	var raws, kernels []float64
	var peakRSS int64
	for run := range env.n {
		rawSlot, cdcSlot := fmt.Sprintf("raw_%d", run), fmt.Sprintf("cdc_%d", run)
		for _, s := range []string{rawSlot, cdcSlot} {
			if _, err := pg.psql(fmt.Sprintf(`SELECT pg_create_logical_replication_slot('%s', 'pgoutput')`, s)); err != nil {
				return err
			}
		}
		// The same WAL for both readers: rows inserted after both slots exist.
		first := int64(run) * n
		if _, err := pg.psql(fmt.Sprintf(`DO $$ BEGIN FOR b IN 0..%d LOOP
			INSERT INTO bench_rows SELECT g, 'name-' || g, g %% 100, g / 100.0, now() FROM generate_series(%d + b * 1000 + 1, %d + least((b + 1) * 1000, %d)) g;
			COMMIT; END LOOP; END $$`, (n-1)/1000, first, first, n)); err != nil {
			return err
		}
		order := []string{"raw", "kernel"}
		if run%2 == 1 {
			order = []string{"kernel", "raw"}
		}
		for _, which := range order {
			var r float64
			var rss int64
			if which == "raw" {
				r, err = rawPgoutput(ctx, pg, rawSlot, n)
				raws = append(raws, r)
			} else {
				r, rss, err = cdcThroughKernel(ctx, env, a, pg, cdcSlot, fmt.Sprintf("pgbench%d", run), n)
				kernels = append(kernels, r)
				peakRSS = max(peakRSS, rss)
			}
			if err != nil {
				return fmt.Errorf("run %d %s: %w", run+1, which, err)
			}
			fmt.Printf("   run %d %-6s %12s\n", run+1, which, rate(r))
		}
		for _, s := range []string{rawSlot, cdcSlot} {
			_ = pg.dropSlot(s)
		}
	}
	rawRate, kRate := median(raws), median(kernels)
	ratio := kRate / rawRate
	t.add(row{group: "postgres CDC", metric: fmt.Sprintf("inserts %s rows → topic (raw: pglogrepl decode only)", short(n)),
		value: rate(kRate), baseline: rate(rawRate), ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.80×",
		verdict: verdict(ratio >= 0.8, fmt.Sprintf("%.0f%% short", (0.8-ratio)/0.8*100))})
	t.add(row{group: "", metric: "  tributary-postgres peak RSS while streaming", value: mb(peakRSS)})
	return nil
}

// cdcThroughKernel runs the connector on slot until the topic holds n records, and
// returns records per second from connector creation and the plugin's peak RSS in KiB.
func cdcThroughKernel(ctx context.Context, env *benchEnv, a *agent, pg *benchPG, slot, prefix string, n int64) (float64, int64, error) {
	topic := prefix + ".public.bench_rows"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return 0, 0, err
	}
	defer env.kafka.deleteTopic(topic)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			for _, c := range children(a.pid()) {
				if strings.Contains(c.name, "tributary-postg") {
					if kb, err := rssKB(c.pid); err == nil && kb > peak.Load() {
						peak.Store(kb)
					}
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	meter := newCPUMeter(pipelineParts(env, a)...)
	start := time.Now()
	err := createConnector(ctx, a.client, prefix, map[string]string{
		"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
		"database.hostname": "127.0.0.1", "database.port": strconv.Itoa(pg.port), "database.user": "postgres",
		"database.dbname": "postgres", "database.sslmode": "disable", "topic.prefix": prefix,
		"slot.name": slot, "snapshot.mode": "no_data", "publication.autocreate.mode": "disabled",
		"key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": "false",
		"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
	})
	if err != nil {
		close(stop)
		return 0, 0, err
	}
	_, last, err := env.kafka.watchTopic(ctx, topic, 1, n, 5*time.Minute)
	cpu := meter.stop()
	fmt.Printf("          CPU seconds by process: %s (%.2f µs/record of ours)\n", cpu, float64(cpu.ours.Microseconds())/float64(n))
	close(stop)
	<-sampled
	var dup *tooManyError
	if errors.As(err, &dup) {
		env.anomaly(dup.Error())
		err = nil
	}
	if err != nil {
		if st, serr := connectorStatus(ctx, a.client, prefix); serr == nil {
			err = fmt.Errorf("%w; connector status %v", err, st)
		}
	}
	if derr := deleteConnector(ctx, a.client, prefix); err == nil {
		err = derr
	}
	return float64(n) / last.Sub(start).Seconds(), peak.Load(), err
}

// rawPgoutput streams slot with pglogrepl and decodes every insert's columns into Go
// values (the work any consumer of the WAL must do) until it has seen n inserts;
// it returns inserts per second from connecting.
func rawPgoutput(ctx context.Context, pg *benchPG, slot string, n int64) (float64, error) {
	start := time.Now()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable replication=database", pg.port))
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	if err := pglogrepl.StartReplication(ctx, conn, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names 'dbz_publication'"}}); err != nil {
		return 0, err
	}
	var got int64
	var sink int64 // keeps the decoded values live
	deadline := time.Now().Add(5 * time.Minute)
	for got < n {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("raw reader decoded %d of %d inserts in 5m", got, n)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		msg, err := conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if pgconn.Timeout(err) {
				continue
			}
			return 0, err
		}
		cd, ok := msg.(*pgproto3.CopyData)
		if !ok || len(cd.Data) == 0 || cd.Data[0] != pglogrepl.XLogDataByteID {
			continue
		}
		x, err := pglogrepl.ParseXLogData(cd.Data[1:])
		if err != nil {
			return 0, err
		}
		m, err := pglogrepl.Parse(x.WALData)
		if err != nil {
			return 0, err
		}
		ins, ok := m.(*pglogrepl.InsertMessage)
		if !ok {
			continue
		}
		cols := ins.Tuple.Columns
		id, _ := strconv.ParseInt(string(cols[0].Data), 10, 64)
		name := string(cols[1].Data)
		qty, _ := strconv.ParseInt(string(cols[2].Data), 10, 32)
		price, _ := strconv.ParseFloat(string(cols[3].Data), 64)
		ts, _ := time.Parse("2006-01-02 15:04:05.999999-07", string(cols[4].Data))
		sink += id + int64(len(name)) + qty + int64(price) + ts.Unix()
		got++
	}
	_ = sink
	return float64(n) / time.Since(start).Seconds(), nil
}

// benchPG is the PostgreSQL 15 the postgres phase starts, as TESTBED.md says.
type benchPG struct {
	dir, data string
	port      int
	asUser    string
}

const benchPGBin = "/usr/lib/postgresql/15/bin"

func startBenchPostgres() (*benchPG, error) {
	if _, err := os.Stat(filepath.Join(benchPGBin, "initdb")); err != nil {
		return nil, fmt.Errorf("needs postgresql (apt-get install postgresql): %w", err)
	}
	// Its own directory, not the scratch one: the postgres user must reach it (the
	// scratch directory is 0700 and root's when the bench runs as root).
	dir, err := os.MkdirTemp("", "tributary-bench-postgres-")
	if err != nil {
		return nil, err
	}
	pg := &benchPG{dir: dir, data: filepath.Join(dir, "data")}
	if err := os.Chmod(pg.dir, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("needs the postgres user (apt-get install postgresql): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(pg.dir, uid, gid); err != nil {
			return nil, err
		}
		pg.asUser = "postgres"
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pg.port = port
	if out, err := pg.command("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses='127.0.0.1'\nport=%d\nunix_socket_directories='%s'\nwal_level=logical\nfsync=off\nsynchronous_commit=off\nmax_replication_slots=20\nmax_wal_senders=20\n", port, pg.dir)
	f, err := os.OpenFile(filepath.Join(pg.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(conf)
	f.Close()
	if err != nil {
		return nil, err
	}
	if out, err := pg.command("pg_ctl", "-D", pg.data, "-l", filepath.Join(pg.dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return pg, nil
}

func (pg *benchPG) command(bin string, args ...string) *exec.Cmd {
	path := filepath.Join(benchPGBin, bin)
	if pg.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", pg.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (pg *benchPG) psql(sql string) (string, error) {
	out, err := exec.Command("psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
		"-p", strconv.Itoa(pg.port), "-U", "postgres", "-d", "postgres", "-c", sql).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// dropSlot drops a slot once its reader has let go of it.
func (pg *benchPG) dropSlot(name string) error {
	var err error
	for range 50 {
		if _, err = pg.psql(fmt.Sprintf(`SELECT pg_drop_replication_slot('%s')`, name)); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func (pg *benchPG) stop() {
	_ = pg.command("pg_ctl", "-D", pg.data, "-m", "immediate", "stop").Run()
	os.RemoveAll(pg.dir)
}
