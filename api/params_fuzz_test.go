package api

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/herr"
)

// FuzzParamsMultipart fuzzes the client API's parameter parsing with
// multipart/form-data bodies (media uploads, update_credentials, statuses
// from some clients) and with JSON and urlencoded bodies under any
// Content-Type: params never panics, fails only with a 4xx, and every
// accessor the handlers use survives what it parsed. Run it with
//
//	go test ./api -run '^$' -fuzz '^FuzzParamsMultipart$' -fuzztime 60s
//
// Seeds are under testdata/fuzz/FuzzParamsMultipart.
func FuzzParamsMultipart(f *testing.F) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary("herald-fuzz-boundary")
	_ = mw.WriteField("status", "hello")
	_ = mw.WriteField("media_ids[]", "1")
	_ = mw.WriteField("fields_attributes[0][name]", "a")
	_ = mw.WriteField("fields_attributes[0][value]", "b")
	_ = mw.WriteField("source[privacy]", "public")
	fw, _ := mw.CreateFormFile("file", "x.png")
	fw.Write([]byte("\x89PNG\r\n\x1a\n"))
	mw.Close()
	f.Add("multipart/form-data; boundary=herald-fuzz-boundary", buf.Bytes())
	f.Add("multipart/form-data; boundary=herald-fuzz-boundary", []byte("--herald-fuzz-boundary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--herald-fuzz-boundary--"))
	f.Add("multipart/form-data; boundary=\"\"", []byte("--\r\n\r\n"))
	f.Add("multipart/form-data", []byte("--x\r\n"))
	f.Add("application/json", []byte(`{"status":"x","media_ids":["1",2],"fields_attributes":{"1":{"name":"a","value":true}},"source":{"privacy":"public"}}`))
	f.Add("application/x-www-form-urlencoded", []byte("status=a&media_ids[]=1&fields_attributes[][name]=x&limit=99999999999999999999"))
	f.Add("application/activity+json; charset=utf-8", []byte(`[[[[`))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/statuses?q=1", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		// As bodyLimit sets it in production: the body cap is part of
		// what the parser meets.
		req.Body = http.MaxBytesReader(rec, req.Body, 1<<20)
		c := echo.New().NewContext(req, rec)
		p, err := params(c)
		if req.MultipartForm != nil {
			defer req.MultipartForm.RemoveAll()
		}
		if err != nil {
			he := herr.As(err)
			if he.Status < 400 || he.Status >= 500 {
				t.Fatalf("params error with status %d: %v", he.Status, err)
			}
			return
		}
		keys := []string{"status", "media_ids", "fields_attributes", "source", "q", "limit", "file", ""}
		for k := range p.values {
			keys = append(keys, k, strings.TrimSuffix(k, "[]"))
			if i := strings.IndexByte(k, '['); i > 0 {
				keys = append(keys, k[:i])
			}
		}
		for k := range p.json {
			keys = append(keys, k)
		}
		for _, k := range keys {
			_ = p.Has(k)
			_ = p.String(k)
			_ = p.Strings(k)
			_, _, _ = p.Bool(k)
			_ = p.BoolOr(k, true)
			if _, err := p.Int(k, 20, 1, 40); err != nil && herr.As(err).Status >= 500 {
				t.Fatalf("Int(%q): %v", k, err)
			}
			if _, err := p.ID(k); err != nil && herr.As(err).Status >= 500 {
				t.Fatalf("ID(%q): %v", k, err)
			}
			for _, o := range p.Objects(k) {
				_ = o["name"]
			}
			_, _ = p.Nested(k, "privacy")
		}
		// A parse is cached for the handler's later calls.
		if p2, _ := params(c); p2 != p {
			t.Fatal("params parsed twice")
		}
	})
}
