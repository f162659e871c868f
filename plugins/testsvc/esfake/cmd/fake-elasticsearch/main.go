// Command fake-elasticsearch serves package esfake's Elasticsearch look-alike on an
// address, for demo scripts and benchmarks that need an Elasticsearch and cannot install
// one. It prints the base URL on stdout once it listens and serves until SIGINT or
// SIGTERM. -username/-password require basic auth; -tls-cert/-tls-key serve HTTPS.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributary-dev/tributary/plugins/testsvc/esfake"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9200", "address to listen on")
	user := flag.String("username", "", "require HTTP basic auth with this user")
	pass := flag.String("password", "", "the password of -username")
	certFile := flag.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain)")
	keyFile := flag.String("tls-key", "", "the PEM private key of -tls-cert")
	flag.Parse()
	opts := esfake.Options{Username: *user, Password: *pass}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake-elasticsearch: -tls-cert/-tls-key:", err)
			os.Exit(2)
		}
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s := esfake.New(opts)
	url, err := s.Start(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake-elasticsearch:", err)
		os.Exit(1)
	}
	fmt.Println(url)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	_ = s.Close()
}
