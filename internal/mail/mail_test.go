package mail

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/herald-social/herald/internal/config"
)

type session struct{ got chan string }

func (s *session) Reset()                               {}
func (s *session) Logout() error                        { return nil }
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.got <- string(b)
	return err
}

func serve(t *testing.T) (int, chan string) {
	got := make(chan string, 4)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{got}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port, got
}

func TestSendPlainAndStartTLSRequired(t *testing.T) {
	port, got := serve(t)
	cfg := config.SMTP{Host: "127.0.0.1", Port: port, From: "Herald <noreply@herald.test>", Security: "none", Timeout: config.Duration{Duration: 5 * time.Second}}
	if New(config.SMTP{}, "x") != nil {
		t.Fatal("a mailer without a host")
	}
	m := New(cfg, "social.example:8443")
	if err := m.Send(context.Background(), Message{To: []string{"a@example.org"}, Subject: "Héllo\r\nBcc: x@evil", Body: "line one\nline two, long enough to need a soft line break in quoted-printable encoding: " + strings.Repeat("x", 80)}); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	for _, want := range []string{"From: \"Herald\" <noreply@herald.test>", "Subject: =?utf-8?q?H=C3=A9llo_Bcc:_x@evil?=", "Message-ID: <", "@social.example>", "quoted-printable"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "\nBcc:") {
		t.Error("header injection through the subject")
	}
	if err := m.Send(context.Background(), Message{To: []string{"a@example.org\r\nRCPT TO:<b@example.org>"}}); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
	// STARTTLS is required unless security is "none": this server has no TLS.
	cfg.Security = "starttls"
	if err := New(cfg, "x").Send(context.Background(), Message{To: []string{"a@example.org"}, Subject: "s", Body: "b"}); err == nil {
		t.Error("sent without STARTTLS")
	}
}
