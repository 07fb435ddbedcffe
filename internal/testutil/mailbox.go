package testutil

import (
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mailbox is a real SMTP server on loopback that keeps the messages it
// receives, for tests of what Herald mails.
type Mailbox struct {
	mu   sync.Mutex
	msgs []Mail
	Port int
}

// Mail is a received message.
type Mail struct {
	From    string
	To      []string
	Subject string
	Body    string
}

type mailboxSession struct {
	mb   *Mailbox
	from string
	to   []string
}

func (s *mailboxSession) Reset()        { s.from, s.to = "", nil }
func (s *mailboxSession) Logout() error { return nil }
func (s *mailboxSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailboxSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body []byte
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(m.Body))
	} else {
		body, err = io.ReadAll(m.Body)
	}
	if err != nil {
		return err
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, Mail{From: s.from, To: s.to, Subject: subj, Body: string(body)})
	s.mb.mu.Unlock()
	return nil
}

// StartMailbox starts a mailbox, closed when the test ends.
func StartMailbox(t testing.TB) *Mailbox {
	t.Helper()
	mb := &Mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &mailboxSession{mb: mb}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return mb
}

// Wait returns (and removes) the first message to rcpt whose subject
// contains subj, waiting for it to arrive.
func (mb *Mailbox) Wait(t testing.TB, rcpt, subj string) Mail {
	t.Helper()
	var got Mail
	Eventually(t, 10*time.Second, fmt.Sprintf("a mail %q to %s", subj, rcpt), func() bool {
		mb.mu.Lock()
		defer mb.mu.Unlock()
		for i, m := range mb.msgs {
			if strings.Contains(m.Subject, subj) && (rcpt == "" || strings.Contains(strings.Join(m.To, ","), rcpt)) {
				mb.msgs = append(mb.msgs[:i], mb.msgs[i+1:]...)
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// Count is the number of messages received and not yet taken by Wait to
// rcpt ("" for any) whose subject contains subj: after the mail jobs have
// drained, it shows that a mail was not sent.
func (mb *Mailbox) Count(rcpt, subj string) int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	n := 0
	for _, m := range mb.msgs {
		if strings.Contains(m.Subject, subj) && (rcpt == "" || strings.Contains(strings.Join(m.To, ","), rcpt)) {
			n++
		}
	}
	return n
}
