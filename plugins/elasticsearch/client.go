package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// newClient returns the Elasticsearch client of cfg: its URLs, basic auth, TLS and
// timeouts; the client's own retries are off (the bulk writer retries as Confluent does).
func newClient(cfg *config) (*elasticsearch.Client, *http.Transport, error) {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: cfg.connTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   cfg.connTimeout + time.Second,
		ResponseHeaderTimeout: cfg.readTimeout,
		MaxIdleConnsPerHost:   cfg.maxInFlight + 2,
		ForceAttemptHTTP2:     false,
	}
	if cfg.connTimeout <= 0 {
		tr.DialContext = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
		tr.TLSHandshakeTimeout = 0
	}
	if cfg.idleTimeout > 0 {
		tr.IdleConnTimeout = cfg.idleTimeout
	}
	if cfg.tls.enabled {
		tc, err := tlsConfig(cfg.tls)
		if err != nil {
			return nil, nil, err
		}
		tr.TLSClientConfig = tc
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses:           cfg.urls,
		Username:            cfg.username,
		Password:            cfg.password,
		Transport:           tr,
		DisableRetry:        true,
		CompressRequestBody: cfg.compression,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("elasticsearch: client for %s: %w", strings.Join(cfg.urls, ","), err)
	}
	return es, tr, nil
}

// tlsConfig builds the TLS client config of the elastic.https.ssl.* keys.
func tlsConfig(t tlsSettings) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.minVersionTLS13 {
		tc.MinVersion = tls.VersionTLS13
	}
	caPEM := []byte(t.caPEM)
	if t.caFile != "" {
		b, err := os.ReadFile(t.caFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyTruststoreLocation, err)
		}
		caPEM = b
	}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			key := keyTruststoreCerts
			if t.caFile != "" {
				key = keyTruststoreLocation
			}
			return nil, fmt.Errorf("%s: no PEM certificate found; give PEM CA certificates (-----BEGIN CERTIFICATE-----)", key)
		}
		tc.RootCAs = pool
	}
	switch {
	case t.certFile != "":
		b, err := os.ReadFile(t.certFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyKeystoreLocation, err)
		}
		cert, err := tls.X509KeyPair(b, b)
		if err != nil {
			return nil, fmt.Errorf("%s: the file must hold an unencrypted private key and its certificate chain in PEM: %w", keyKeystoreLocation, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case t.certPEM != "":
		cert, err := tls.X509KeyPair([]byte(t.certPEM), []byte(t.keyPEM))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyKeystoreChain, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if t.skipHostnameCheck {
		// Verify the chain but not the host name, as an empty
		// ssl.endpoint.identification.algorithm does in Java.
		roots := tc.RootCAs
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return tc, nil
}

// clusterInfo asks GET / for the cluster's version, checking that it answers and is
// Elasticsearch (the client's product check).
func clusterInfo(ctx context.Context, es *elasticsearch.Client) (string, error) {
	res, err := esapi.InfoRequest{}.Do(ctx, es)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.IsError() {
		return "", fmt.Errorf("GET / answered %s: %s", res.Status(), errorReason(body))
	}
	var info struct {
		Version struct {
			Number string `json:"number"`
		} `json:"version"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "", fmt.Errorf("GET / answered what is not cluster info: %v", err)
	}
	return info.Version.Number, nil
}

// errorReason is the "type: reason" of an Elasticsearch error body, or the body itself.
func errorReason(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var d struct{ Type, Reason string }
		if json.Unmarshal(e.Error, &d) == nil && d.Type != "" {
			return d.Type + ": " + d.Reason
		}
		return string(e.Error)
	}
	if len(body) > 512 {
		body = body[:512]
	}
	return strings.TrimSpace(string(body))
}
