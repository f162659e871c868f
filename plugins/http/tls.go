package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// tlsConfig builds the client's TLS config from the https.ssl.* keys: trusted CAs and a
// client certificate from PEM files or inline PEM. Java key stores are refused naming
// the conversion. nil, nil means Go's defaults (the system's CAs, no client certificate).
func (t tlsSettings) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.minTLS13 {
		cfg.MinVersion = tls.VersionTLS13
	}
	if t.maxTLS12 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	trust := []byte(t.trustPEM)
	if len(trust) == 0 && t.trustFile != "" {
		b, err := readStore(keyTruststoreLocation, t.trustFile, t.trustType, "trust")
		if err != nil {
			return nil, err
		}
		trust = b
	}
	if len(trust) > 0 {
		if t.trustPassword != "" {
			return nil, sdk.ConfigError{Key: keyTruststorePassword, Message: "a PEM trust store has no password: remove " + keyTruststorePassword}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(trust) {
			return nil, sdk.ConfigError{Key: keyTruststoreLocation, Message: "no PEM certificate (-----BEGIN CERTIFICATE-----) in the trust store"}
		}
		cfg.RootCAs = pool
	}
	keyPEM, chainPEM := []byte(t.keyPEM), []byte(t.chainPEM)
	if len(keyPEM) == 0 && t.keyFile != "" {
		b, err := readStore(keyKeystoreLocation, t.keyFile, t.keyType, "key")
		if err != nil {
			return nil, err
		}
		keyPEM, chainPEM = b, b
	}
	if len(keyPEM) > 0 {
		if t.keyPassword != "" {
			return nil, sdk.ConfigError{Key: keyKeystorePassword, Message: "a PEM key store holds an unencrypted key and has no password: remove " + keyKeystorePassword}
		}
		if blk, _ := pem.Decode(keyPEM); blk != nil && (blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] != "") {
			return nil, sdk.ConfigError{Key: keyKeystoreLocation, Message: "the private key is encrypted: decrypt it (openssl pkcs8 -in key.pem -out plain.pem)"}
		}
		cert, err := tls.X509KeyPair(chainPEM, keyPEM)
		if err != nil {
			return nil, sdk.ConfigError{Key: keyKeystoreLocation, Message: fmt.Sprintf("the client certificate and key: %v", err)}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if !t.verifyHost {
		// Verify the chain as usual, but not that it names the host, as Java's
		// hostname verifier switched off.
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// readStore reads a PEM trust or key store, refusing a Java key store (JKS, PKCS12) with
// the conversion to do.
func readStore(key, path, typ, kind string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, sdk.ConfigError{Key: key, Message: err.Error()}
	}
	if bytes.Contains(b, []byte("-----BEGIN")) {
		return b, nil
	}
	conv := "keytool -exportcert -rfc -keystore " + path + " -alias <alias> > ca.pem"
	if kind == "key" {
		conv = "keytool -importkeystore -srckeystore " + path + " -destkeystore k.p12 -deststoretype PKCS12, then openssl pkcs12 -in k.p12 -nodes > client.pem"
	}
	return nil, sdk.ConfigError{Key: key, Message: fmt.Sprintf("%s is not PEM (a %s store?): only PEM files are read; convert it (%s) and set the PEM file with type PEM", path, typ, conv)}
}
