package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// mailSink is an SMTP server on loopback that keeps every message it
// accepted whole (a message whose DATA was cut, the sender killed, is not
// kept: the sender did not get its 250 and sends it again).
type mailSink struct {
	Addr string
	Port int

	mu   sync.Mutex
	msgs []sunkMail
}

// sunkMail is a received message, decoded.
type sunkMail struct {
	To, Subject, Body string
}

func newMailSink(t testing.TB) *mailSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailSink{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mailSession{m}, nil }))
	srv.Domain = "localhost"
	// Connections cut by a killed sender are the test's scenario, not news.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return m
}

type mailSession struct{ m *mailSink }

func (s mailSession) Reset()                               {}
func (s mailSession) Logout() error                        { return nil }
func (s mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, sunkMail{To: msg.Header.Get("To"), Subject: subject, Body: strings.ReplaceAll(string(text), "\r\n", "\n")})
	s.m.mu.Unlock()
	return nil
}

// Messages returns the messages received so far.
func (m *mailSink) Messages() []sunkMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sunkMail(nil), m.msgs...)
}

// upload POSTs a file to path as the multipart field "file"; it returns
// the status as api does (0: no answer; negative: the body was cut).
func (h *heraldProc) upload(path, token, name string, file []byte, out any) int {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return 0
	}
	fw.Write(file)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, h.base+path, &b)
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return -resp.StatusCode
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(body, out); err != nil {
			return -resp.StatusCode
		}
	}
	return resp.StatusCode
}

// getBytes GETs a URL without a token; it returns the status and body.
func getBytes(url string) (int, []byte) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -resp.StatusCode, nil
	}
	return resp.StatusCode, b
}
