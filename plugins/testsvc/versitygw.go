package testsvc

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// versitygwInstall is what a test that needs an S3 server tells the user to run.
const versitygwInstall = "versitygw (scripts/install-tools.sh versitygw, or make test, builds it into the tool cache)"

// S3 is a versitygw server started for one test: real S3 (signatures enforced) over the
// posix backend, on 127.0.0.1:Port, its buckets directories under Dir.
type S3 struct {
	Host string
	Port int
	// Dir is the posix backend's root: each bucket is a directory in it.
	Dir string
	// AccessKey and SecretKey are the root account's credentials.
	AccessKey, SecretKey string
	// Region is the region clients sign for.
	Region string

	t    testing.TB
	bin  string
	cmd  *exec.Cmd
	logs *Output
	done chan struct{}
}

// ToolsBin returns the tool cache scripts/install-tools.sh installs into (and the
// Makefile puts first on PATH): $TOOLS_BIN, else $XDG_CACHE_HOME/tributary/bin, else
// ~/.cache/tributary/bin.
func ToolsBin() string {
	if d := os.Getenv("TOOLS_BIN"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "tributary", "bin")
}

// versitygwPath finds the versitygw binary: in the tool cache, else on PATH.
func versitygwPath() (string, error) {
	p := filepath.Join(ToolsBin(), "versitygw")
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no versitygw in %s or on PATH", ToolsBin())
}

// StartS3 starts versitygw on a free port over a temp dir, as TESTBED.md describes, and
// waits until it answers HTTP; it is killed when the test ends. A missing binary skips the
// test locally and fails it in CI ([Require]).
func StartS3(t testing.TB) *S3 {
	t.Helper()
	bin, err := versitygwPath()
	Require(t, err, versitygwInstall)
	s := &S3{Host: "127.0.0.1", Port: FreePort(t), Dir: t.TempDir(), AccessKey: "tributary-test",
		SecretKey: "tributary-test-secret", Region: "us-east-1", t: t, bin: bin}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// Endpoint is the server's base URL, http://127.0.0.1:port: a path-style endpoint.
func (s *S3) Endpoint() string {
	return "http://" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// Start starts the server (again, after [S3.Kill]) on the same port and directory and
// waits until it answers.
func (s *S3) Start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("testsvc: versitygw is already running")
	}
	cmd := exec.Command(s.bin, "--port", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), "posix", s.Dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
	s.logs = &Output{}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("testsvc: start versitygw: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	exited := false
	client := &http.Client{Timeout: time.Second}
	if WaitFor(20*time.Second, func() bool {
		select {
		case <-s.done:
			exited = true
			return true
		default:
		}
		// Unsigned, the request is refused (403); any answer means the server serves.
		res, err := client.Get(s.Endpoint() + "/")
		if err != nil {
			return false
		}
		res.Body.Close()
		return true
	}) && !exited {
		return
	}
	if exited {
		s.t.Fatalf("testsvc: versitygw exited at start: %s", s.logs.String())
	}
	s.t.Fatalf("testsvc: versitygw on %s does not answer after 20s: %s", s.Endpoint(), s.logs.String())
}

func (s *S3) running() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Kill stops the server with SIGKILL and waits until it is gone; a no-op when it is not
// running.
func (s *S3) Kill() {
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Logs returns what the server has printed so far.
func (s *S3) Logs() string {
	if s.logs == nil {
		return ""
	}
	return s.logs.String()
}

// Client returns an S3 client of the server with the root credentials, path-style.
func (s *S3) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// CreateBucket creates bucket name, failing the test if the server refuses.
func (s *S3) CreateBucket(name string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		s.t.Fatalf("testsvc: create bucket %s: %v\n%s", name, err, s.Logs())
	}
}

// Keys lists every object key in bucket (under prefix) in lexical order.
func (s *S3) Keys(bucket, prefix string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Get returns the content of object key in bucket.
func (s *S3) Get(bucket, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), WaitLimit)
	defer cancel()
	out, err := s.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}
