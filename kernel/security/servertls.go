package security

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// ServerTLS is the TLS config of a listener serving certFile and keyFile (PEM). With
// clientAuth other than tls.NoClientCert, client certificates are checked against caFile.
func ServerTLS(certFile, keyFile, caFile string, clientAuth tls.ClientAuthType) (*tls.Config, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := KeyPair(certPEM, keyPEM, "")
	if err != nil {
		return nil, fmt.Errorf("%s, %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ClientAuth: clientAuth}
	if clientAuth != tls.NoClientCert {
		if caFile == "" {
			return nil, fmt.Errorf("checking client certificates needs a CA file")
		}
		if cfg.ClientCAs, err = CertPool(caFile); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// CertPool reads the PEM certificates of file.
func CertPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE block found", file)
	}
	return pool, nil
}
