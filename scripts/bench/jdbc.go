package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"
)

// jdbcRows is how many rows each jdbc run moves: a fifth of the records of the other
// phases, at most 200k, as the postgres phase.
func jdbcRows(env *benchEnv) int64 { return max(min(env.records/5, 200_000), 1000) }

// benchJDBC measures the JDBC connector on PostgreSQL, each against a raw client doing
// the same work in the same run:
//   - sink: topic of JSON records with schemas → kernel → JdbcSinkConnector (insert,
//     COPY) → table, against a sarama partition consumer decoding the same JSON and
//     writing the rows with pgx.CopyFrom in batches of batch.size (3000);
//   - source: table → JdbcSourceConnector (bulk) → kernel → topic as schemaless JSON,
//     against a pgx SELECT scan encoding each row to JSON and producing it with sarama.
func benchJDBC(ctx context.Context, env *benchEnv, t *table) error {
	pg, err := startBenchPostgres()
	if err != nil {
		return err
	}
	defer pg.stop()
	a, err := startAgent(env, "jdbc", env.profilePath("jdbc-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	n := jdbcRows(env)
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", pg.port)
	url := fmt.Sprintf("jdbc:postgresql://127.0.0.1:%d/postgres?sslmode=disable", pg.port)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	// Sink.
	topic := "jdbc-sink-in"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return err
	}
	defer env.kafka.deleteTopic(topic)
	if err := produceJDBCRecords(env.kafka.brokers, topic, n); err != nil {
		return fmt.Errorf("fill %s: %w", topic, err)
	}
	var raws, kernels []float64
	for run := range env.n {
		order := []string{"raw", "kernel"}
		if run%2 == 1 {
			order = []string{"kernel", "raw"}
		}
		for _, which := range order {
			tbl := fmt.Sprintf("bench_sink_%s_%d", which, run)
			if _, err := conn.Exec(ctx, "CREATE TABLE "+tbl+" (id bigint, name text, qty int, price double precision, ts timestamp)"); err != nil {
				return err
			}
			meter := newCPUMeter(pipelineParts(env, a)...)
			start := time.Now()
			var r float64
			if which == "raw" {
				if err = consumeToCopy(ctx, env.kafka.brokers, topic, n, dsn, tbl); err == nil {
					r = float64(n) / time.Since(start).Seconds()
				}
			} else {
				name := fmt.Sprintf("jdbc-sink-%d", run)
				err = createConnector(ctx, a.client, name, map[string]string{
					"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1", "topics": topic,
					"connection.url": url, "connection.user": "postgres", "insert.mode": "insert", "table.name.format": tbl,
					"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "true",
				})
				if err == nil {
					err = waitRows(ctx, conn, tbl, n, 5*time.Minute)
					r = float64(n) / time.Since(start).Seconds()
					if derr := deleteConnector(ctx, a.client, name); err == nil {
						err = derr
					}
				}
			}
			if err != nil {
				return fmt.Errorf("sink run %d %s: %w", run+1, which, err)
			}
			if which == "raw" {
				raws = append(raws, r)
			} else {
				kernels = append(kernels, r)
			}
			fmt.Printf("   sink run %d %-6s %12s  CPU seconds by process: %s\n", run+1, which, rate(r), meter.stop())
			_, _ = conn.Exec(ctx, "DROP TABLE "+tbl)
		}
	}
	rawRate, kRate := median(raws), median(kernels)
	ratio := kRate / rawRate
	t.add(row{group: "jdbc sink", metric: fmt.Sprintf("topic → PostgreSQL, %s rows (raw: sarama + JSON + pgx.CopyFrom)", short(n)),
		value: rate(kRate), baseline: rate(rawRate), ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.70×",
		verdict: verdict(ratio >= 0.7, fmt.Sprintf("%.0f%% short", (0.7-ratio)/0.7*100))})

	// Source.
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE bench_src (id bigint PRIMARY KEY, name text NOT NULL, qty int, price double precision, ts timestamptz);
		INSERT INTO bench_src SELECT g, 'name-' || g, g %% 100, g / 100.0, now() FROM generate_series(1, %d) g`, n)); err != nil {
		return err
	}
	raws, kernels = nil, nil
	for run := range env.n {
		order := []string{"raw", "kernel"}
		if run%2 == 1 {
			order = []string{"kernel", "raw"}
		}
		for _, which := range order {
			prefix := fmt.Sprintf("jdbcsrc-%s-%d-", which, run)
			topic := prefix + "bench_src"
			if err := env.kafka.createTopic(topic, 1); err != nil {
				return err
			}
			meter := newCPUMeter(pipelineParts(env, a)...)
			start := time.Now()
			var r float64
			if which == "raw" {
				if err = scanToKafka(ctx, conn, env.kafka.brokers, topic, n); err == nil {
					r = float64(n) / time.Since(start).Seconds()
				}
			} else {
				name := fmt.Sprintf("jdbc-src-%d", run)
				err = createConnector(ctx, a.client, name, map[string]string{
					"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "1",
					"connection.url": url, "connection.user": "postgres", "mode": "bulk", "table.whitelist": "bench_src",
					"topic.prefix": prefix, "poll.interval.ms": "3600000", "batch.max.rows": "5000",
					"value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": "false",
				})
				if err == nil {
					var last time.Time
					_, last, err = env.kafka.watchTopic(ctx, topic, 1, n, 5*time.Minute)
					var dup *tooManyError
					if errors.As(err, &dup) {
						env.anomaly(dup.Error())
						err = nil
					}
					r = float64(n) / last.Sub(start).Seconds()
					if derr := deleteConnector(ctx, a.client, name); err == nil {
						err = derr
					}
				}
			}
			env.kafka.deleteTopic(topic)
			if err != nil {
				return fmt.Errorf("source run %d %s: %w", run+1, which, err)
			}
			if which == "raw" {
				raws = append(raws, r)
			} else {
				kernels = append(kernels, r)
			}
			fmt.Printf("   source run %d %-6s %12s  CPU seconds by process: %s\n", run+1, which, rate(r), meter.stop())
		}
	}
	rawRate, kRate = median(raws), median(kernels)
	ratio = kRate / rawRate
	t.add(row{group: "jdbc source", metric: fmt.Sprintf("bulk PostgreSQL → topic, %s rows (raw: pgx SELECT + JSON + sarama)", short(n)),
		value: rate(kRate), baseline: rate(rawRate), ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.80×",
		verdict: verdict(ratio >= 0.8, fmt.Sprintf("%.0f%% short", (0.8-ratio)/0.8*100))})
	return nil
}

const jdbcValueSchema = `{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},` +
	`{"type":"int32","optional":true,"field":"qty"},{"type":"double","optional":true,"field":"price"},` +
	`{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}],"optional":false,"name":"bench"}`

// produceJDBCRecords fills topic with n JSON records with schemas, as JsonConverter
// (schemas.enable=true) writes them.
func produceJDBCRecords(brokers []string, topic string, n int64) error {
	p, err := sarama.NewAsyncProducer(brokers, saramaConfig())
	if err != nil {
		return err
	}
	acked := make(chan error, 1)
	go func() {
		var first error
		for range n {
			select {
			case <-p.Successes():
			case e := <-p.Errors():
				if first == nil {
					first = e.Err
				}
			}
		}
		acked <- first
	}()
	ts := time.Now().UnixMilli()
	for i := range n {
		v := fmt.Sprintf(`{"schema":%s,"payload":{"id":%d,"name":"name-%d","qty":%d,"price":%g,"ts":%d}}`, jdbcValueSchema, i, i, i%100, float64(i)/100, ts)
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: -1, Value: sarama.StringEncoder(v)}
	}
	err = <-acked
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// consumeToCopy is the raw sink: a sarama partition consumer decoding each JSON record
// and writing the rows with pgx.CopyFrom every 3000 rows (the sink's batch.size).
func consumeToCopy(ctx context.Context, brokers []string, topic string, n int64, dsn, tbl string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	c, err := sarama.NewConsumer(brokers, saramaConfig())
	if err != nil {
		return err
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		return err
	}
	defer func() {
		pc.AsyncClose()
		for range pc.Messages() {
		}
	}()
	cols := []string{"id", "name", "qty", "price", "ts"}
	rows := make([][]any, 0, 3000)
	write := func() error {
		_, err := conn.CopyFrom(ctx, pgx.Identifier{tbl}, cols, pgx.CopyFromRows(rows))
		rows = rows[:0]
		return err
	}
	var v struct {
		Payload struct {
			ID    int64   `json:"id"`
			Name  string  `json:"name"`
			Qty   int32   `json:"qty"`
			Price float64 `json:"price"`
			TS    int64   `json:"ts"`
		} `json:"payload"`
	}
	// Rows are written when 3000 are pending, and otherwise when none has arrived for
	// 5 ms (the consumer caught up), as the kernel hands a sink what it has fetched.
	timeout := time.After(5 * time.Minute)
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	for got := int64(0); got < n; {
		select {
		case m := <-pc.Messages():
			if err := json.Unmarshal(m.Value, &v); err != nil {
				return err
			}
			p := v.Payload
			rows = append(rows, []any{p.ID, p.Name, p.Qty, p.Price, time.UnixMilli(p.TS).UTC()})
			got++
			if len(rows) == cap(rows) || got == n {
				if err := write(); err != nil {
					return err
				}
			}
			idle.Reset(5 * time.Millisecond)
		case <-idle.C:
			if len(rows) > 0 {
				if err := write(); err != nil {
					return err
				}
			}
		case e := <-pc.Errors():
			return e.Err
		case <-timeout:
			return fmt.Errorf("raw sink: timed out")
		}
	}
	return nil
}

// scanToKafka is the raw source: SELECT * with pgx, each row encoded as the JSON object
// JsonConverter (schemas.enable=false) writes, produced with sarama until all are acked.
func scanToKafka(ctx context.Context, conn *pgx.Conn, brokers []string, topic string, n int64) error {
	p, err := sarama.NewAsyncProducer(brokers, saramaConfig())
	if err != nil {
		return err
	}
	acked := make(chan error, 1)
	go func() {
		var first error
		for range n {
			select {
			case <-p.Successes():
			case e := <-p.Errors():
				if first == nil {
					first = e.Err
				}
			}
		}
		acked <- first
	}()
	rows, err := conn.Query(ctx, "SELECT * FROM bench_src")
	if err != nil {
		p.Close()
		return err
	}
	var sent int64
	var buf []byte
	for rows.Next() {
		var id int64
		var name string
		var qty *int32
		var price *float64
		var ts *time.Time
		if err := rows.Scan(&id, &name, &qty, &price, &ts); err != nil {
			rows.Close()
			p.Close()
			return err
		}
		buf = buf[:0]
		buf = append(buf, `{"id":`...)
		buf = strconv.AppendInt(buf, id, 10)
		buf = append(buf, `,"name":`...)
		buf = strconv.AppendQuote(buf, name)
		buf = append(buf, `,"qty":`...)
		buf = strconv.AppendInt(buf, int64(*qty), 10)
		buf = append(buf, `,"price":`...)
		buf = strconv.AppendFloat(buf, *price, 'g', -1, 64)
		buf = append(buf, `,"ts":`...)
		buf = strconv.AppendInt(buf, ts.UnixMilli(), 10)
		buf = append(buf, '}')
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.ByteEncoder(append([]byte(nil), buf...))}
		sent++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		p.Close()
		return err
	}
	if sent != n {
		p.Close()
		return fmt.Errorf("raw source scanned %d rows, want %d", sent, n)
	}
	err = <-acked
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	return err
}

// waitRows polls the row count of tbl until it is n.
func waitRows(ctx context.Context, conn *pgx.Conn, tbl string, n int64, timeout time.Duration) error {
	return waitFor(ctx, tbl+" rows", timeout, 20*time.Millisecond, func() (bool, error) {
		var c int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+tbl).Scan(&c); err != nil {
			return false, err
		}
		if c > n {
			return true, fmt.Errorf("%s holds %d rows, more than the %d records", tbl, c, n)
		}
		return c == n, nil
	})
}
