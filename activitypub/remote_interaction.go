package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/herald-social/herald/internal/herr"
)

// Remote interaction: a visitor from another server, on a public page of
// this one, gives their address (you@your.server); their server's
// WebFinger document names the page where they follow or reply from
// there (the "subscribe" template, as Mastodon advertises it). This
// server looks the template up, through the same guarded fetch as any
// federation request, and the web UI sends the browser there.

// SubscribeTemplate returns the remote-interaction URL template of the
// server of acct ("user@domain", "@user@domain" or "acct:user@domain"),
// holding "{uri}". An address on this server needs no look-up.
func (f *Federation) SubscribeTemplate(ctx context.Context, acct string) (string, error) {
	a := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(acct), "acct:"), "@")
	user, domain, ok := strings.Cut(a, "@")
	if !ok || user == "" || !validDomain(domain) || strings.ContainsAny(user, "/?#:@ \t") || len(a) > 300 {
		return "", herr.Unprocessable("Enter your address as you@your.server")
	}
	domain = strings.ToLower(domain)
	if domain == strings.ToLower(f.cfg.Instance.Domain) {
		if a, err := f.svc.AccountByUsername(ctx, user, ""); err != nil || a.SuspendedAt != nil {
			return "", herr.Unprocessable("There is no %s@%s: is the address right?", user, domain)
		}
		return f.base + "/authorize_interaction?uri={uri}", nil
	}
	body, err := f.webfingerDoc(ctx, user, domain)
	if err != nil {
		if errors.Is(err, errBlockedDomain) {
			return "", herr.Wrap(422, "This server does not federate with "+domain, err)
		}
		return "", herr.Wrap(422, "Could not find "+user+"@"+domain+": is the address right?", err)
	}
	tmpl, err := parseSubscribeTemplate(body)
	if err != nil {
		return "", herr.Wrap(422, domain+" does not offer following from another server", fmt.Errorf("webfinger acct:%s@%s: %w", user, domain, err))
	}
	return tmpl, nil
}

// validDomain: a host name or address, with an optional port, and nothing
// else (no path, user or query that would change the URL it goes into).
func validDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.ContainsAny(d, "/?#@\\ \t%") {
		return false
	}
	u, err := url.Parse("https://" + d)
	return err == nil && strings.EqualFold(u.Host, d) && u.Hostname() != ""
}
