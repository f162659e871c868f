package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// ServerName is the DNS name every server certificate Issue makes carries, so a client
// may check "is this a server of my cluster" without knowing the node's own name (as
// Consul's server.<dc>.consul).
const ServerName = "server.tributary"

// CA is a certificate authority that issues Tributary's certificates (ECDSA P-256).
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
}

// NewCA makes a self-signed CA valid for validity (default 5 years), named name.
func NewCA(name string, validity time.Duration) (*CA, []byte, error) {
	if validity <= 0 {
		validity = 5 * 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	ski, err := subjectKeyID(key)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Tributary"}},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, keyPEM, nil
}

// LoadCA reads a CA certificate and its private key (PEM).
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	pair, err := KeyPair(certPEM, keyPEM, "")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, errors.New("the certificate is not a CA (basic constraints CA:FALSE)")
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the CA key is a %T; Tributary issues with ECDSA keys", pair.PrivateKey)
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM}, nil
}

// CertOptions says what certificate Issue makes.
type CertOptions struct {
	// CommonName names the holder (a node or a client).
	CommonName string
	// Server and Client set the extended key usages; a server certificate also carries
	// ServerName, localhost and 127.0.0.1 among its names.
	Server, Client bool
	DNSNames       []string
	IPAddresses    []net.IP
	// Validity defaults to one year.
	Validity time.Duration
	// OnlyGivenNames leaves ServerName, localhost and 127.0.0.1 out of a server
	// certificate: it is valid for DNSNames and IPAddresses alone.
	OnlyGivenNames bool
}

// Issue makes a certificate signed by ca and its new key, both PEM. The certificate PEM
// holds the leaf only; the CA's certificate is distributed on its own.
func (ca *CA) Issue(o CertOptions) (certPEM, keyPEM []byte, err error) {
	if o.CommonName == "" {
		return nil, nil, errors.New("a certificate needs a name")
	}
	if !o.Server && !o.Client {
		return nil, nil, errors.New("say whether the certificate is for a server or a client")
	}
	if o.Validity <= 0 {
		o.Validity = 365 * 24 * time.Hour
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: o.CommonName, Organization: []string{"Tributary"}},
		NotBefore:      time.Now().Add(-time.Minute),
		NotAfter:       time.Now().Add(o.Validity),
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:       append([]string(nil), o.DNSNames...),
		IPAddresses:    append([]net.IP(nil), o.IPAddresses...),
		AuthorityKeyId: ca.Cert.SubjectKeyId,
	}
	if o.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		if !o.OnlyGivenNames {
			tmpl.DNSNames = appendNew(tmpl.DNSNames, o.CommonName, ServerName, "localhost")
		}
		if !o.OnlyGivenNames && !hasIP(tmpl.IPAddresses, net.IPv4(127, 0, 0, 1)) {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IPv4(127, 0, 0, 1))
		}
	}
	if o.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func subjectKeyID(key *ecdsa.PrivateKey) ([]byte, error) {
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub)
	return sum[:20], nil
}

func appendNew(list []string, vals ...string) []string {
	for _, v := range vals {
		found := false
		for _, x := range list {
			if x == v {
				found = true
			}
		}
		if !found && v != "" {
			list = append(list, v)
		}
	}
	return list
}

func hasIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}
