package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// store writes objects to the bucket: one PutObject for an object up to s3.part.size, a
// multipart upload in parts of that size beyond (feature/s3/manager's Uploader).
type store struct {
	client *s3.Client
	up     *manager.Uploader
	bucket string
	where  string // the endpoint, for messages
}

// newStore makes the S3 client: static credentials or the SDK's default chain, the
// region, store.url as a path-style endpoint, s3.part.retries retries with a backoff
// from s3.retry.backoff.ms.
func newStore(ctx context.Context, cfg *config) (*store, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.region)}
	if cfg.accessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.accessKey, cfg.secretKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: AWS configuration: %w", err)
	}
	attempts := cfg.retries + 1
	awsCfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = backoff{base: cfg.retryBackoff}
		})
	}
	where := "AWS S3 (" + cfg.region + ")"
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.endpoint)
			o.UsePathStyle = cfg.pathStyle
			where = cfg.endpoint
		}
		// Checksums only where S3 requires them: S3-compatible stores differ in which
		// flexible checksums they know.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	up := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = cfg.partSize
		u.Concurrency = 4
	})
	return &store{client: client, up: up, bucket: cfg.bucket, where: where}, nil
}

// check makes sure the bucket is there and the credentials may use it.
func (s *store) check(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return fmt.Errorf("s3: bucket %q at %s: %w", s.bucket, s.where, err)
	}
	return nil
}

// put writes body as object key, replacing any object of that name.
func (s *store) put(ctx context.Context, key string, body []byte) error {
	_, err := s.up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return uploadError(key, err)
	}
	return nil
}

// uploadError words a failed upload: retriable (the kernel tries the put again) unless S3
// refused it for good (access, a missing bucket, an invalid request).
func uploadError(key string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName", "AllAccessDisabled":
			return fmt.Errorf("s3: upload %s: %w", key, err)
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 &&
		re.HTTPStatusCode() != http.StatusRequestTimeout && re.HTTPStatusCode() != http.StatusTooManyRequests {
		return fmt.Errorf("s3: upload %s: %w", key, err)
	}
	return status.Errorf(codes.Unavailable, "s3: upload %s: %v", key, err)
}

// backoff waits a random time below base × 2^attempt (capped at 20 s), as Confluent's
// retry backoff grows.
type backoff struct{ base time.Duration }

func (b backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	if b.base <= 0 {
		return 0, nil
	}
	d := b.base << min(attempt, 16)
	d = min(d, 20*time.Second)
	return time.Duration(rand.Int64N(int64(d)) + 1), nil
}
