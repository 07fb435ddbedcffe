package core

import (
	"slices"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/model"
)

// A webhook's URL is an absolute http(s) URL with a host and no
// credentials; its events are Mastodon's, at least one, each once.
func TestApplyWebhook(t *testing.T) {
	ptr := func(s string) *string { return &s }
	events := func(e ...string) *[]string { return &e }
	for _, tc := range []struct {
		url    string
		events []string
		ok     bool
	}{
		{"https://hooks.example/in?token=x", []string{"status.created"}, true},
		{"http://127.0.0.1:8080/hook", []string{"account.created", "report.updated"}, true},
		{" https://hooks.example/in ", []string{" status.created ", "status.created", ""}, true},
		{"", []string{"status.created"}, false},
		{"hooks.example/in", []string{"status.created"}, false},
		{"/in", []string{"status.created"}, false},
		{"ftp://hooks.example/in", []string{"status.created"}, false},
		{"https://", []string{"status.created"}, false},
		{"https://user:pw@hooks.example/in", []string{"status.created"}, false},
		{"https://hooks.example/" + strings.Repeat("a", 2100), []string{"status.created"}, false},
		{"https://hooks.example/in", nil, false},
		{"https://hooks.example/in", []string{"account.deleted"}, false},
	} {
		w := &model.Webhook{}
		err := applyWebhook(w, WebhookParams{URL: ptr(tc.url), Events: events(tc.events...)})
		if (err == nil) != tc.ok {
			t.Errorf("%q %v: %v", tc.url, tc.events, err)
		}
	}
	w := &model.Webhook{}
	if err := applyWebhook(w, WebhookParams{URL: ptr("https://h.example/"), Events: events("status.updated", "account.created", "status.updated")}); err != nil ||
		!slices.Equal(w.Events, []string{"account.created", "status.updated"}) {
		t.Errorf("events %v (%v)", w.Events, err)
	}
	if s := newWebhookSecret(); len(s) != 40 || s == newWebhookSecret() {
		t.Errorf("secret %q", s)
	}
}
