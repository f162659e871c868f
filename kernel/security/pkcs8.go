package security

import (
	"crypto/x509"
	"fmt"

	"github.com/youmark/pkcs8"
)

// decryptPKCS8 decrypts an ENCRYPTED PRIVATE KEY (PKCS#8 with PBES2, as `openssl pkcs8
// -topk8 -v2 aes-256-cbc` writes) and returns the plain PKCS#8 DER.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	key, err := pkcs8.ParsePKCS8PrivateKey(der, []byte(password))
	if err != nil {
		return nil, fmt.Errorf("decrypt the private key with %s: %w", KeyKeyPassword, err)
	}
	return x509.MarshalPKCS8PrivateKey(key)
}
