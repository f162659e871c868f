package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The bench's S3 server credentials, bucket and part size (the sink's minimum, so the
// objects of a run go up in several parts).
const (
	s3Key, s3Secret, s3Bucket = "bench", "bench-secret", "bench"
	s3PartSize                = 5 << 20
)

// benchS3 compares topic → kernel → S3 sink → versitygw with a raw sarama partition
// consumer building the same objects — the values, each followed by a newline, flush.size
// records to an object, as the sink's ByteArrayFormat writes them — and uploading each
// with feature/s3/manager's Uploader (s3.part.size parts) as soon as it is full, to the
// same versitygw (posix backend in the scratch directory), in the same run. A run ends
// when the objects are all listed. The first run's objects are compared byte for byte.
// It also samples the plugin's peak RSS (the sink builds open files in memory).
func benchS3(ctx context.Context, env *benchEnv, t *table) error {
	n := env.records
	flushSize := max(n/20, 1) // 20 objects a run
	objects := (n + flushSize - 1) / flushSize
	topic := "s3-in"
	if err := env.kafka.createTopic(topic, 1); err != nil {
		return err
	}
	defer env.kafka.deleteTopic(topic)
	if err := produceJSONDocs(env.kafka.brokers, topic, n, env.size); err != nil {
		return fmt.Errorf("fill %s: %w", topic, err)
	}
	srv, endpoint, err := startBenchS3(env)
	if err != nil {
		return err
	}
	defer srv.stop(5 * time.Second)
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(s3Key, s3Secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	a, err := startAgent(env, "s3", env.profilePath("s3-kernel"))
	if err != nil {
		return err
	}
	defer a.shutdown()
	parts := func() []cpuPart {
		return append(pipelineParts(env, a), cpuPart{name: "versitygw", read: func() time.Duration { return cpuTime(srv.pid()) }})
	}

	runRaw := func(run int) (sourceResult, string, error) {
		prefix := fmt.Sprintf("raw-%d/", run)
		meter := newCPUMeter(parts()...)
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- consumeToS3(env.kafka.brokers, topic, n, flushSize, client, prefix) }()
		first, last, err := watchS3(ctx, client, prefix, objects, 5*time.Minute)
		if cerr := <-done; err == nil {
			err = cerr
		}
		cpu := meter.stop()
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, prefix, err
	}
	var peakKB atomic.Int64
	runKernel := func(run int) (sourceResult, string, error) {
		conn := fmt.Sprintf("s3-%d", run)
		prefix := conn + "/"
		meter := newCPUMeter(parts()...)
		stopRSS := samplePluginRSS(a.pid(), "tributary-s3", &peakKB)
		start := time.Now()
		err := createConnector(ctx, a.client, conn, map[string]string{
			"connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1", "topics": topic,
			"s3.bucket.name": s3Bucket, "store.url": endpoint, "s3.region": "us-east-1",
			"aws.access.key.id": s3Key, "aws.secret.access.key": s3Secret, "s3.part.size": strconv.Itoa(s3PartSize),
			"topics.dir": conn, "format.class": "io.confluent.connect.s3.format.bytearray.ByteArrayFormat",
			"flush.size": strconv.FormatInt(flushSize, 10), "value.converter": byteArrayConverter,
		})
		if err != nil {
			stopRSS()
			return sourceResult{}, prefix, err
		}
		first, last, err := watchS3(ctx, client, prefix, objects, 5*time.Minute)
		cpu := meter.stop()
		stopRSS()
		if err != nil {
			if st, serr := connectorStatus(ctx, a.client, conn); serr == nil {
				err = fmt.Errorf("%w; connector status %v", err, st)
			}
		}
		if derr := deleteConnector(ctx, a.client, conn); err == nil {
			err = derr
		}
		return sourceResult{float64(n) / last.Sub(start).Seconds(), first.Sub(start), cpu}, prefix, err
	}

	var raws, kernels []sourceResult
	var rawPrefix, kernelPrefix string
	for run := range env.n {
		order := []string{"raw", "kernel"}
		if run%2 == 1 {
			order = []string{"kernel", "raw"}
		}
		for _, which := range order {
			var r sourceResult
			var prefix string
			var err error
			if which == "raw" {
				r, prefix, err = runRaw(run)
				raws = append(raws, r)
				rawPrefix = prefix
			} else {
				r, prefix, err = runKernel(run)
				kernels = append(kernels, r)
				kernelPrefix = prefix
			}
			if err != nil {
				return fmt.Errorf("run %d %s: %w", run+1, which, err)
			}
			fmt.Printf("   run %d %-6s %12s  first object after %-7s  CPU %5.2fs (%.2f µs/rec)  others' load %.2f cores\n",
				run+1, which, rate(r.rate), ms(r.startup), r.cpu.ours.Seconds(), float64(r.cpu.ours.Microseconds())/float64(n), r.cpu.others)
			fmt.Printf("          CPU seconds by process: %s\n", r.cpu)
		}
		if run == 0 {
			if err := compareS3(ctx, client, rawPrefix, kernelPrefix+topic+"/partition=0/", objects); err != nil {
				return fmt.Errorf("run 1: %w", err)
			}
		}
	}

	rawRate, kRate := median(rates(raws)), median(rates(kernels))
	ratio := kRate / rawRate
	t.add(row{group: "s3 sink", metric: fmt.Sprintf("1 task, %s×~%dB, %d-record objects, to versitygw", short(n), env.size, flushSize),
		value: rate(kRate), baseline: rate(rawRate) + " (manager.Uploader)", ratio: fmt.Sprintf("%.2f×", ratio), target: "≥ 0.80×",
		verdict: verdict(ratio >= 0.8, fmt.Sprintf("%.0f%% short", (0.8-ratio)/0.8*100))})
	t.add(row{group: "", metric: "  CPU per record (all our processes, versitygw included)",
		value:    fmt.Sprintf("%.2f µs", medianCPU(kernels, n)),
		baseline: fmt.Sprintf("%.2f µs", medianCPU(raws, n)),
		ratio:    fmt.Sprintf("%.2f×", medianCPU(kernels, n)/medianCPU(raws, n))})
	t.add(row{group: "", metric: "  CPU per record by process", value: cpuSplit(kernels, n), baseline: cpuSplit(raws, n)})
	t.add(row{group: "", metric: "  create → first object", value: ms(medianDuration(startups(kernels))),
		baseline: ms(medianDuration(startups(raws)))})
	t.add(row{group: "", metric: "  plugin peak RSS under load: tributary-s3", value: mb(peakKB.Load())})
	return nil
}

// versitygwBin finds versitygw where scripts/install-tools.sh puts it, else on PATH.
func versitygwBin() (string, error) {
	dir := os.Getenv("TOOLS_BIN")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "tributary", "bin")
	}
	if p := filepath.Join(dir, "versitygw"); fileExists(p) {
		return p, nil
	}
	p, err := exec.LookPath("versitygw")
	if err != nil {
		return "", fmt.Errorf("needs versitygw (scripts/install-tools.sh versitygw): not in %s or on PATH", dir)
	}
	return p, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// startBenchS3 runs versitygw on a free port over a directory of the scratch one and
// waits until it answers.
func startBenchS3(env *benchEnv) (*proc, string, error) {
	path, err := versitygwBin()
	if err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	root := filepath.Join(env.dir, "s3")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := start(env.dir, "versitygw", []string{"ROOT_ACCESS_KEY_ID=" + s3Key, "ROOT_SECRET_ACCESS_KEY=" + s3Secret},
		path, "--port", addr, "posix", root)
	if err != nil {
		return nil, "", err
	}
	endpoint := "http://" + addr
	err = waitFor(context.Background(), "versitygw answering", 20*time.Second, 20*time.Millisecond, func() (bool, error) {
		if p.exited() {
			return true, fmt.Errorf("versitygw exited: %s", tail(p.out.String(), 2000))
		}
		res, err := http.Get(endpoint + "/") // unsigned: refused, but answered
		if err != nil {
			return false, nil
		}
		res.Body.Close()
		return true, nil
	})
	if err != nil {
		p.stop(time.Second)
		return nil, "", err
	}
	return p, endpoint, nil
}

// consumeToS3 is the raw sink: a sarama partition consumer appending each value and a
// newline to a buffer, uploaded with manager.Uploader as <prefix><offset, 10 digits> every
// flushSize records.
func consumeToS3(brokers []string, topic string, n, flushSize int64, client *s3.Client, prefix string) error {
	up := manager.NewUploader(client, func(u *manager.Uploader) { u.PartSize = s3PartSize; u.Concurrency = 4 })
	c, err := sarama.NewConsumer(brokers, saramaConfig())
	if err != nil {
		return fmt.Errorf("raw consumer: %w", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		return fmt.Errorf("consume %s: %w", topic, err)
	}
	defer func() {
		pc.AsyncClose()
		for range pc.Messages() {
		}
	}()
	var buf bytes.Buffer
	var start, count int64
	for got := int64(0); got < n; got++ {
		var m *sarama.ConsumerMessage
		select {
		case m = <-pc.Messages():
		case e := <-pc.Errors():
			return e.Err
		}
		if count == 0 {
			start = m.Offset
		}
		buf.Write(m.Value)
		buf.WriteByte('\n')
		if count++; count == flushSize || got == n-1 {
			key := fmt.Sprintf("%s%010d", prefix, start)
			if _, err := up.Upload(context.Background(), &s3.PutObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(key),
				Body: bytes.NewReader(buf.Bytes())}); err != nil {
				return fmt.Errorf("upload %s: %w", key, err)
			}
			buf.Reset()
			count = 0
		}
	}
	return nil
}

// watchS3 lists prefix until it holds want objects and returns when the first and the
// last were there.
func watchS3(ctx context.Context, client *s3.Client, prefix string, want int64, timeout time.Duration) (first, last time.Time, err error) {
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		keys, err := listS3(ctx, client, prefix)
		if err != nil {
			return first, now, err
		}
		if len(keys) > 0 && first.IsZero() {
			first = now
		}
		if int64(len(keys)) >= want {
			return first, now, nil
		}
		if now.After(deadline) {
			return first, now, fmt.Errorf("%s holds %d of %d objects after %s", prefix, len(keys), want, timeout)
		}
		select {
		case <-ctx.Done():
			return first, now, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func listS3(ctx context.Context, client *s3.Client, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(s3Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// compareS3 checks that the raw run's objects and the sink's hold the same bytes, object
// by object in offset order.
func compareS3(ctx context.Context, client *s3.Client, rawPrefix, sinkPrefix string, want int64) error {
	raw, err := listS3(ctx, client, rawPrefix)
	if err != nil {
		return err
	}
	sink, err := listS3(ctx, client, sinkPrefix)
	if err != nil {
		return err
	}
	if int64(len(raw)) != want || int64(len(sink)) != want {
		return fmt.Errorf("%d raw and %d sink objects, want %d each", len(raw), len(sink), want)
	}
	for i := range raw {
		a, err := getS3(ctx, client, raw[i])
		if err != nil {
			return err
		}
		b, err := getS3(ctx, client, sink[i])
		if err != nil {
			return err
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("object %s (%d bytes) differs from the raw %s (%d bytes)", sink[i], len(b), raw[i], len(a))
		}
	}
	return nil
}

func getS3(ctx context.Context, client *s3.Client, key string) ([]byte, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(out.Body)
	return b.Bytes(), err
}
