package httpsig_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

func TestParseSignatureHeader(t *testing.T) {
	want := &httpsig.Parsed{
		KeyID:     "https://peer.example/users/bob#main-key",
		Algorithm: "rsa-sha256",
		Headers:   []string{"(request-target)", "host", "date", "digest"},
		Signature: "abc+/==",
	}
	good := []string{
		`keyId="https://peer.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="abc+/=="`,
		// whitespace around = and ,
		`keyId = "https://peer.example/users/bob#main-key" , algorithm= "rsa-sha256",	headers ="(request-target) host date digest" ,signature="abc+/=="`,
		// the buggy prefix of old node-http-signature / PeerTube 2.1
		`Signature keyId="https://peer.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="abc+/=="`,
		// header names are lowercased, unknown params ignored, empty list elements allowed
		`keyId="https://peer.example/users/bob#main-key",,algorithm="RSA-SHA256",headers="(Request-Target) Host DATE Digest",foo=bar,signature="abc+/==",`,
		// unquoted values, including base64
		`keyId="https://peer.example/users/bob#main-key",algorithm=rsa-sha256,headers="(request-target) host date digest",signature=abc+/==`,
		// escaped quote inside a quoted string
		`keyId="https://peer.example/users/bob#main-key",algorithm="rsa\-sha256",headers="(request-target) host date digest",signature="abc+/=="`,
	}
	for _, h := range good {
		got, err := httpsig.ParseSignatureHeader(h)
		if err != nil {
			t.Errorf("%s: %v", h, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", h, got, want)
		}
	}

	p, err := httpsig.ParseSignatureHeader(`keyId="k",algorithm="hs2019",created=1402170695, expires="1402170699.25",headers="(created) (expires)",signature="s"`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Created != 1402170695 || p.Expires != 1402170699 {
		t.Errorf("created/expires = %d/%d", p.Created, p.Expires)
	}

	// "signature" written with whitespace before '=' is a parameter, not the prefix.
	p, err = httpsig.ParseSignatureHeader(`signature ="s", keyId="k"`)
	if err != nil || p.Signature != "s" || p.KeyID != "k" {
		t.Errorf("signature-first header: %+v, %v", p, err)
	}
	if p.Headers != nil {
		t.Errorf("absent headers parsed as %#v, want nil", p.Headers)
	}

	bad := []string{
		``,
		`   `,
		`Signature `,
		`keyId`,
		`keyId=`,
		`keyId="unterminated`,
		`keyId="k" signature="s"`,
		`keyId="k",keyId="k2",signature="s"`,
		`created=abc,keyId="k"`,
		`created=-5,keyId="k"`,
		`=x`,
		`keyId="k",signature="a\`,
	}
	for _, h := range bad {
		if p, err := httpsig.ParseSignatureHeader(h); err == nil {
			t.Errorf("%q parsed as %+v", h, p)
		}
	}
}

// A signed request whose Signature header a peer reformatted with spaces
// still verifies: only the parameters matter, not their layout.
func TestVerifyTolerantHeader(t *testing.T) {
	key, _ := testKeys(t)
	cs := newCaptureServer(t)
	req := signedRequest(t, cs, "POST", "/inbox", activity, key)
	h := req.Header.Get("Signature")
	h = "Signature " + strings.NewReplacer(`",`, `" ,  `, `keyId="`, `keyId = "`,
		`headers="`, `headers	="`, `signature="`, `signature= "`).Replace(h)
	req.Header.Set("Signature", h)
	got := cs.send(t, req)
	res := &staticResolver{key: &key.PublicKey}
	if _, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, time.Now()); err != nil {
		t.Fatalf("Verify(%q): %v", h, err)
	}
}

func TestKeysPEM(t *testing.T) {
	key, _ := testKeys(t)
	privPEM, err := httpsig.EncodePrivateKeyPEM(key)
	if err != nil || !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----\n") {
		t.Fatalf("EncodePrivateKeyPEM: %q, %v", privPEM, err)
	}
	pubPEM, err := httpsig.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil || !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----\n") {
		t.Fatalf("EncodePublicKeyPEM: %q, %v", pubPEM, err)
	}
	priv, err := httpsig.ParsePrivateKeyPEM(privPEM)
	if err != nil || !priv.Equal(key) {
		t.Fatalf("ParsePrivateKeyPEM round trip: %v", err)
	}
	pub, err := httpsig.ParsePublicKeyPEM(pubPEM)
	if err != nil || !pub.Equal(&key.PublicKey) {
		t.Fatalf("ParsePublicKeyPEM round trip: %v", err)
	}

	// PKCS #1 forms are accepted when parsing.
	pkcs1Priv, err := httpsig.ParsePrivateKeyPEM(cavagePrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if !pkcs1Priv.PublicKey.Equal(cavageKey(t)) {
		t.Error("Appendix C private and public keys differ")
	}
	pkcs1Pub := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(cavageKey(t))}))
	pub, err = httpsig.ParsePublicKeyPEM(pkcs1Pub)
	if err != nil || !pub.Equal(cavageKey(t)) {
		t.Fatalf("PKCS #1 public key: %v", err)
	}

	for _, s := range []string{"", "not pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"} {
		if _, err := httpsig.ParsePublicKeyPEM(s); err == nil {
			t.Errorf("ParsePublicKeyPEM(%q) succeeded", s)
		}
		if _, err := httpsig.ParsePrivateKeyPEM(s); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%q) succeeded", s)
		}
	}
}

func TestDigest(t *testing.T) {
	if got := httpsig.Digest([]byte(cavageBody)); got != cavageDigest {
		t.Errorf("Digest = %q, want %q", got, cavageDigest)
	}
}
