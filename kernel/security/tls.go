package security

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KafkaTLSConfig builds the TLS config of a Kafka client from its ssl.* keys (resolved,
// bare), in PEM only: trusted CAs from ssl.truststore.location or inline
// ssl.truststore.certificates (the system roots when neither is set), the client's
// certificate chain and key from ssl.keystore.location (one PEM file holding both) or
// inline ssl.keystore.certificate.chain and ssl.keystore.key, ssl.key.password for an
// encrypted key, and ssl.endpoint.identification.algorithm: https (the default) checks
// the broker's host name, empty checks the chain only. A JKS or PKCS12 store is refused
// with the commands that convert it to PEM.
func KafkaTLSConfig(props map[string]string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if v := props[KeyEnabledProtocols]; v != "" {
		if strings.Contains(v, "TLSv1.2") {
			cfg.MinVersion = tls.VersionTLS12
		} else if strings.Contains(v, "TLSv1.3") {
			cfg.MinVersion = tls.VersionTLS13
		} else {
			return nil, fmt.Errorf("%s=%s: Tributary speaks TLSv1.2 and TLSv1.3", KeyEnabledProtocols, v)
		}
	}

	// Trust.
	trustPEM, err := storePEM(props, KeyTruststoreLocation, KeyTruststoreType, KeyTruststoreCerts, "truststore")
	if err != nil {
		return nil, err
	}
	if trustPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(trustPEM) {
			return nil, fmt.Errorf("%s: no PEM CERTIFICATE block found", trustSource(props))
		}
		cfg.RootCAs = pool
	}

	// Client certificate.
	if loc := props[KeyKeystoreLocation]; loc != "" {
		if props[KeyKeystoreChain] != "" || props[KeyKeystoreKey] != "" {
			return nil, fmt.Errorf("%s and %s/%s are exclusive: set one", KeyKeystoreLocation, KeyKeystoreChain, KeyKeystoreKey)
		}
		data, err := storePEM(props, KeyKeystoreLocation, KeyKeystoreType, "", "keystore")
		if err != nil {
			return nil, err
		}
		cert, err := KeyPair(data, data, props[KeyKeyPassword])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", KeyKeystoreLocation, loc, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	} else if chain, key := props[KeyKeystoreChain], props[KeyKeystoreKey]; chain != "" || key != "" {
		if chain == "" || key == "" {
			return nil, fmt.Errorf("%s and %s go together: set both", KeyKeystoreChain, KeyKeystoreKey)
		}
		if t := strings.ToUpper(props[KeyKeystoreType]); t != "" && t != "PEM" {
			return nil, fmt.Errorf("%s=%s: inline keys are PEM; set %s=PEM", KeyKeystoreType, props[KeyKeystoreType], KeyKeystoreType)
		}
		cert, err := KeyPair([]byte(chain), []byte(key), props[KeyKeyPassword])
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", KeyKeystoreChain, KeyKeystoreKey, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}

	switch alg := strings.ToLower(strings.TrimSpace(props[KeyEndpointIdentAlgo])); {
	case alg == "https":
	case alg == "" && hasKey(props, KeyEndpointIdentAlgo):
		// Kafka's empty value: check the chain, not the host name.
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = verifyChainOnly(roots)
	case alg == "":
	default:
		return nil, fmt.Errorf("%s=%s: use https (check the broker's host name) or an empty value (do not)", KeyEndpointIdentAlgo, props[KeyEndpointIdentAlgo])
	}
	return cfg, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func trustSource(props map[string]string) string {
	if props[KeyTruststoreLocation] != "" {
		return KeyTruststoreLocation + " " + props[KeyTruststoreLocation]
	}
	return KeyTruststoreCerts
}

// storePEM reads a trust or key store: the file at locKey, or the inline PEM at
// inlineKey; nil when neither is set. A store that is not PEM is refused with how to
// convert it.
func storePEM(props map[string]string, locKey, typeKey, inlineKey, what string) ([]byte, error) {
	typ := strings.ToUpper(strings.TrimSpace(props[typeKey]))
	loc := props[locKey]
	var inline string
	if inlineKey != "" {
		inline = props[inlineKey]
	}
	if loc != "" && inline != "" {
		return nil, fmt.Errorf("%s and %s are exclusive: set one", locKey, inlineKey)
	}
	switch typ {
	case "", "PEM":
	case "JKS", "PKCS12", "P12":
		return nil, convertError(typeKey+"="+props[typeKey], what, loc)
	default:
		return nil, fmt.Errorf("%s=%s: Tributary reads PEM only", typeKey, props[typeKey])
	}
	if inline != "" {
		return []byte(inline), nil
	}
	if loc == "" {
		return nil, nil
	}
	data, err := os.ReadFile(loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", locKey, err)
	}
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		return nil, convertError(locKey+" "+loc+" is not PEM (a JKS or PKCS12 store?)", what, loc)
	}
	return data, nil
}

// convertError says that a store must be PEM and how to make one.
func convertError(what, store, loc string) error {
	if loc == "" {
		loc = "STORE"
	}
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(loc, ".jks"), ".p12"), ".pfx")
	if store == "truststore" {
		return fmt.Errorf("%s: Tributary reads PEM stores only; convert with\n"+
			"  keytool -importkeystore -srckeystore %s -destkeystore %s.p12 -deststoretype PKCS12   (JKS only)\n"+
			"  openssl pkcs12 -in %s.p12 -nokeys -out %s.pem\n"+
			"then set ssl.truststore.location=%s.pem and ssl.truststore.type=PEM", what, loc, base, base, base, base)
	}
	return fmt.Errorf("%s: Tributary reads PEM stores only; convert with\n"+
		"  keytool -importkeystore -srckeystore %s -destkeystore %s.p12 -deststoretype PKCS12   (JKS only)\n"+
		"  openssl pkcs12 -in %s.p12 -out %s.pem -nodes   (certificate chain and key in one file)\n"+
		"then set ssl.keystore.location=%s.pem and ssl.keystore.type=PEM", what, loc, base, base, base, base)
}

// KeyPair reads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC 1;
// an ENCRYPTED PRIVATE KEY needs password). certPEM and keyPEM may be the same bytes.
func KeyPair(certPEM, keyPEM []byte, password string) (tls.Certificate, error) {
	var chain [][]byte
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
	if len(chain) == 0 {
		return tls.Certificate{}, errors.New("no PEM CERTIFICATE block found")
	}
	var keyDER []byte
	var keyType string
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			keyDER, keyType = b.Bytes, b.Type
			break
		}
	}
	if keyDER == nil {
		return tls.Certificate{}, errors.New("no PEM PRIVATE KEY block found")
	}
	if keyType == "ENCRYPTED PRIVATE KEY" {
		if password == "" {
			return tls.Certificate{}, fmt.Errorf("the private key is encrypted: set %s", KeyKeyPassword)
		}
		var err error
		if keyDER, err = decryptPKCS8(keyDER, password); err != nil {
			return tls.Certificate{}, err
		}
		keyType = "PRIVATE KEY"
	}
	cert, err := tls.X509KeyPair(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[0]}),
		pem.EncodeToMemory(&pem.Block{Type: keyType, Bytes: keyDER}))
	if err != nil {
		return tls.Certificate{}, err
	}
	cert.Certificate = chain
	return cert, nil
}

// verifyChainOnly checks the peer's chain against roots (the system's when nil) without
// its host name, for ssl.endpoint.identification.algorithm="".
func verifyChainOnly(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("tls: the broker sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return fmt.Errorf("tls: broker certificate: %w", err)
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		return err
	}
}
