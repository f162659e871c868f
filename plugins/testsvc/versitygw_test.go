package testsvc

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestS3 starts versitygw, creates a bucket and writes an object with a signed request:
// it lists and reads back; a request signed with the wrong secret is refused, so the
// server enforces signatures as S3 does.
func TestS3(t *testing.T) {
	s := StartS3(t)
	s.CreateBucket("bkt")
	ctx := context.Background()
	if _, err := s.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("d/k.txt"),
		Body: bytes.NewReader([]byte("hello"))}); err != nil {
		t.Fatalf("put: %v", err)
	}
	if keys, err := s.Keys("bkt", "d/"); err != nil || len(keys) != 1 || keys[0] != "d/k.txt" {
		t.Fatalf("keys = %v, %v; want [d/k.txt]", keys, err)
	}
	if got, err := s.Get("bkt", "d/k.txt"); err != nil || string(got) != "hello" {
		t.Fatalf("get = %q, %v; want hello", got, err)
	}
	bad := s3.New(s3.Options{Region: s.Region, BaseEndpoint: aws.String(s.Endpoint()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKey, "wrong", "")})
	_, err := bad.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("d/k.txt")})
	if err == nil || !strings.Contains(err.Error(), "Signature") {
		t.Fatalf("get with a wrong secret: %v; want a signature error", err)
	}
}
