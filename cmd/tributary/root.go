package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	adminv1 "github.com/tributary-dev/tributary/proto/tributary/admin/v1"

	"github.com/tributary-dev/tributary/kernel/cluster"
	"github.com/tributary-dev/tributary/kernel/security"
)

// DefaultAdminAddr is where the CLI finds a node's admin gRPC service by default.
const DefaultAdminAddr = "127.0.0.1:8084"

// globalFlags are the flags every client command shares.
type globalFlags struct {
	addr   string
	output string // "table" or "json"
	// TLS and credentials for a secured admin service.
	tlsCA, tlsCert, tlsKey, tlsServerName, token string
}

var flags globalFlags

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "tributary",
		Short:         "Tributary moves data between Kafka and other systems with connectors",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addr := os.Getenv("TRIBUTARY_ADDR")
	if addr == "" {
		addr = DefaultAdminAddr
	}
	root.PersistentFlags().StringVar(&flags.addr, "addr", addr, "admin gRPC address of a Tributary node (env TRIBUTARY_ADDR)")
	root.PersistentFlags().StringVarP(&flags.output, "output", "o", "table", "output format: table or json")
	pf := root.PersistentFlags()
	pf.StringVar(&flags.tlsCA, "tls-ca", os.Getenv("TRIBUTARY_CACERT"), "CA certificate (PEM) to check the node's certificate; turns TLS on (env TRIBUTARY_CACERT)")
	pf.StringVar(&flags.tlsCert, "tls-cert", os.Getenv("TRIBUTARY_CLIENT_CERT"), "client certificate (PEM) for a node that verifies callers (env TRIBUTARY_CLIENT_CERT)")
	pf.StringVar(&flags.tlsKey, "tls-key", os.Getenv("TRIBUTARY_CLIENT_KEY"), "client key (PEM) (env TRIBUTARY_CLIENT_KEY)")
	pf.StringVar(&flags.tlsServerName, "tls-server-name", os.Getenv("TRIBUTARY_TLS_SERVER_NAME"), "name to check in the node's certificate instead of the --addr host (env TRIBUTARY_TLS_SERVER_NAME)")
	pf.StringVar(&flags.token, "token", os.Getenv("TRIBUTARY_TOKEN"), "token (a password from the node's credentials file) sent as authorization: Bearer (env TRIBUTARY_TOKEN)")
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands is filled by each command file's init, so commands live in their own files.
var subcommands []func() *cobra.Command

func register(c func() *cobra.Command) { subcommands = append(subcommands, c) }

// dialAdmin connects to the admin service at --addr, over TLS when --tls-ca (or a client
// certificate) is given, sending --token with every call.
func dialAdmin() (adminv1.AdminClient, func(), error) {
	opts, err := adminDialOptions(flags)
	if err != nil {
		return nil, nil, err
	}
	conn, err := grpc.NewClient(flags.addr, append(opts, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cluster.MaxMessageBytes)))...)
	if err != nil {
		return nil, nil, err
	}
	return adminv1.NewAdminClient(conn), func() { conn.Close() }, nil
}

// adminDialOptions are the transport and per-call credentials the flags ask for.
func adminDialOptions(f globalFlags) ([]grpc.DialOption, error) {
	creds := insecure.NewCredentials()
	secure := f.tlsCA != "" || f.tlsCert != ""
	if secure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.tlsServerName}
		if f.tlsCA != "" {
			pool, err := security.CertPool(f.tlsCA)
			if err != nil {
				return nil, fmt.Errorf("--tls-ca: %w", err)
			}
			cfg.RootCAs = pool
		}
		if (f.tlsCert == "") != (f.tlsKey == "") {
			return nil, errors.New("--tls-cert and --tls-key go together")
		}
		if f.tlsCert != "" {
			pair, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
			if err != nil {
				return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if f.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: f.token, secure: secure}))
	}
	return opts, nil
}

// bearer sends a token as "authorization: Bearer …" with every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity lets a token go over plaintext only when the user gave no TLS
// flags (a node on loopback without certificates).
func (b bearer) RequireTransportSecurity() bool { return b.secure }
