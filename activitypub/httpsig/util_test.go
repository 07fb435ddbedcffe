package httpsig_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
)

func nopBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// setSignatureParam replaces (or appends) one quoted parameter in req's
// Signature header without re-signing, to build invalid requests.
func setSignatureParam(t testing.TB, req *http.Request, name, value string) {
	t.Helper()
	h := req.Header.Get("Signature")
	re := regexp.MustCompile(name + `="[^"]*"`)
	repl := fmt.Sprintf(`%s="%s"`, name, value)
	if re.MatchString(h) {
		h = re.ReplaceAllLiteralString(h, repl)
	} else {
		h += "," + repl
	}
	req.Header.Set("Signature", h)
}
