package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tributary-dev/tributary/kernel/security"
)

func init() { register(newTLSCmd) }

// The CA's file names, as `consul tls ca create` names consul-agent-ca.pem.
const (
	caCertFile = "tributary-agent-ca.pem"
	caKeyFile  = "tributary-agent-ca-key.pem"
)

func newTLSCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "Create a private CA and the certificates nodes and clients use",
		Long: `Create the certificates that secure Tributary's REST API, admin gRPC service and
node-to-node traffic, as 'consul tls' does:

  tributary tls ca create                      # tributary-agent-ca.pem, tributary-agent-ca-key.pem
  tributary tls cert create --server node1     # tributary-server-node1.pem, -key.pem
  tributary tls cert create --client ops       # tributary-client-ops.pem, -key.pem

Keys are ECDSA P-256 and written with mode 0600; existing files are never overwritten.`,
	}
	ca := &cobra.Command{Use: "ca", Short: "Manage the certificate authority"}
	ca.AddCommand(newTLSCACreateCmd())
	cert := &cobra.Command{Use: "cert", Short: "Issue server and client certificates"}
	cert.AddCommand(newTLSCertCreateCmd())
	cmd.AddCommand(ca, cert)
	return cmd
}

func newTLSCACreateCmd() *cobra.Command {
	var dir, name string
	var days int
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a new certificate authority: " + caCertFile + " and " + caKeyFile,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			certPath, keyPath := filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile)
			if err := refuseExisting(certPath, keyPath); err != nil {
				return err
			}
			ca, keyPEM, err := security.NewCA(name, time.Duration(days)*24*time.Hour)
			if err != nil {
				return err
			}
			if err := writePair(certPath, ca.CertPEM, keyPath, keyPEM); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "==> Saved %s\n==> Saved %s\n", certPath, keyPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", ".", "directory to write the files to")
	cmd.Flags().StringVar(&name, "common-name", "Tributary Agent CA", "the CA's common name")
	cmd.Flags().IntVar(&days, "days", 1825, "days the CA is valid")
	return cmd
}

func newTLSCertCreateCmd() *cobra.Command {
	var server, client bool
	var dir, caPath, keyPath string
	var days int
	var dnsNames []string
	var ips []net.IP
	cmd := &cobra.Command{
		Use:   "create (--server | --client) NAME",
		Short: "Issue a certificate signed by the CA",
		Long: `Issue a certificate for a node (--server) or an operator or tool (--client), signed by
the CA in the current directory (or --ca and --key). A server certificate names NAME,
` + security.ServerName + `, localhost and 127.0.0.1, plus --additional-dnsname and
--additional-ipaddress (give the addresses clients dial). Server certificates also
authenticate their node to other nodes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if server == client {
				return errors.New("say --server or --client (exactly one)")
			}
			name := args[0]
			kind := "client"
			if server {
				kind = "server"
			}
			caCert, err := os.ReadFile(caPath)
			if err != nil {
				return fmt.Errorf("read the CA certificate (tributary tls ca create makes one): %w", err)
			}
			caKey, err := os.ReadFile(keyPath)
			if err != nil {
				return fmt.Errorf("read the CA key: %w", err)
			}
			ca, err := security.LoadCA(caCert, caKey)
			if err != nil {
				return fmt.Errorf("%s: %w", caPath, err)
			}
			certPEM, keyPEM, err := ca.Issue(security.CertOptions{
				CommonName: name, Server: server, Client: true, // a node is also a client of the others
				DNSNames: dnsNames, IPAddresses: ips, Validity: time.Duration(days) * 24 * time.Hour,
			})
			if err != nil {
				return err
			}
			base := filepath.Join(dir, "tributary-"+kind+"-"+name)
			if err := refuseExisting(base+".pem", base+"-key.pem"); err != nil {
				return err
			}
			if err := writePair(base+".pem", certPEM, base+"-key.pem", keyPEM); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "==> Using %s and %s\n==> Saved %s.pem\n==> Saved %s-key.pem\n", caPath, keyPath, base, base)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&server, "server", false, "a node's certificate (server and client authentication)")
	f.BoolVar(&client, "client", false, "a client's certificate (CLI, grpcurl, REST callers)")
	f.StringVar(&dir, "dir", ".", "directory to write the files to")
	f.StringVar(&caPath, "ca", caCertFile, "the CA certificate")
	f.StringVar(&keyPath, "key", caKeyFile, "the CA key")
	f.IntVar(&days, "days", 365, "days the certificate is valid")
	f.StringSliceVar(&dnsNames, "additional-dnsname", nil, "another DNS name for the certificate (repeat it)")
	f.IPSliceVar(&ips, "additional-ipaddress", nil, "another IP address for the certificate (repeat it)")
	return cmd
}

// refuseExisting fails when any of the files exists, so a CA or key is never replaced
// by accident.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists: remove it first, or use --dir", p)
		}
	}
	return nil
}

func writePair(certPath string, certPEM []byte, keyPath string, keyPEM []byte) error {
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyPath, keyPEM, 0o600)
}
