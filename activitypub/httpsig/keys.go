package httpsig

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
)

// DefaultKeyBits is the RSA key size for actor keys: Mastodon only verifies
// RSA, and 2048 bits is what every implementation uses and accepts.
const DefaultKeyBits = 2048

// GenerateKey returns a new RSA key of the given size (DefaultKeyBits when
// bits is 0).
func GenerateKey(bits int) (*rsa.PrivateKey, error) {
	if bits == 0 {
		bits = DefaultKeyBits
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("httpsig: generate %d-bit RSA key: %w", bits, err)
	}
	return k, nil
}

// EncodePrivateKeyPEM encodes key as a PKCS #8 "PRIVATE KEY" PEM block.
func EncodePrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("httpsig: encode private key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// EncodePublicKeyPEM encodes key as a PKIX "PUBLIC KEY" PEM block, the form
// actors publish in publicKey.publicKeyPem.
func EncodePublicKeyPEM(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("httpsig: encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM parses the first PEM block of s as an RSA public key:
// PKIX "PUBLIC KEY", or PKCS #1 "RSA PUBLIC KEY" (some older software
// publishes that). The label is only a hint; both encodings are tried.
func ParsePublicKeyPEM(s string) (*rsa.PublicKey, error) {
	return parseRSAPEM(s, "public", x509.ParsePKIXPublicKey, x509.ParsePKCS1PublicKey)
}

// ParsePrivateKeyPEM parses the first PEM block of s as an RSA private key:
// PKCS #8 "PRIVATE KEY" or PKCS #1 "RSA PRIVATE KEY".
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	return parseRSAPEM(s, "private", x509.ParsePKCS8PrivateKey, x509.ParsePKCS1PrivateKey)
}

// parseRSAPEM parses the first PEM block of s in the generic encoding
// (which may hold a key of another algorithm) or else in PKCS #1.
func parseRSAPEM[K any](s, what string, generic func([]byte) (any, error), pkcs1 func([]byte) (K, error)) (K, error) {
	var none K
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return none, fmt.Errorf("httpsig: no PEM block in %s key", what)
	}
	if k, err := generic(block.Bytes); err == nil {
		rk, ok := k.(K)
		if !ok {
			return none, fmt.Errorf("httpsig: %s key is %T, not RSA", what, k)
		}
		return rk, nil
	}
	k, err := pkcs1(block.Bytes)
	if err != nil {
		return none, fmt.Errorf("httpsig: parse %q PEM block: %w", block.Type, err)
	}
	return k, nil
}

// Digest returns the Digest header value for body: "SHA-256=<base64>".
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}
