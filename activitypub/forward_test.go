package activitypub

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A forwarded Update or Delete (signed by another server than its
// actor's) is believed only as far as the post's own server confirms it:
// a made-up edit or deletion changes nothing, a real one is applied from
// the post as its server serves it.
func TestForwardedActivitiesCheckedAtOrigin(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	origin, forwarder := newFakePeer(t), newFakePeer(t)
	uri := origin.serveNote("/users/alice/statuses/9", map[string]any{"content": "<p>the real one</p>"})
	if _, err := ti.fed.ResolveStatus(ctx, uri); err != nil {
		t.Fatal(err)
	}
	forward := func(typ string, object any) {
		t.Helper()
		act := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": uri + "#" + typ + time.Now().Format("150405.000000"),
			"type": typ, "actor": origin.actor, "to": []string{Public}, "object": object}
		if status, msg := forwarder.signedPost(ti.url+"/inbox", mustJSON(t, act), nil); status != http.StatusAccepted {
			t.Fatalf("forwarded %s: %d %s", typ, status, msg)
		}
		ti.waitInboxEmpty()
	}
	content := func() string {
		t.Helper()
		st, err := ti.svc.StatusByURI(ctx, uri)
		if err != nil {
			return ""
		}
		return st.Content
	}

	forward("Update", map[string]any{"id": uri, "type": "Note", "attributedTo": origin.actor, "to": []string{Public},
		"content": "<p>forged</p>", "updated": time.Now().UTC().Format(time.RFC3339)})
	forward("Delete", uri)
	if c := content(); !strings.Contains(c, "the real one") {
		t.Fatalf("after made-up forwards: %q", c)
	}

	// The author really edits it: the forward applies what the origin serves.
	origin.serveNote("/users/alice/statuses/9", map[string]any{"content": "<p>edited for real</p>",
		"updated": time.Now().UTC().Format(time.RFC3339)})
	forward("Update", map[string]any{"id": uri, "type": "Note", "attributedTo": origin.actor, "content": "<p>whatever</p>"})
	if c := content(); !strings.Contains(c, "edited for real") {
		t.Fatalf("after a real edit's forward: %q", c)
	}

	// And deletes it.
	origin.objects.Delete("/users/alice/statuses/9")
	forward("Delete", uri)
	if c := content(); c != "" {
		t.Fatalf("after a real deletion's forward the post is still here: %q", c)
	}
}
