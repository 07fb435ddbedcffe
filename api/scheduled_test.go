package api_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

type apiScheduled struct {
	ID          string `json:"id"`
	ScheduledAt string `json:"scheduled_at"`
	Params      struct {
		Text        string   `json:"text"`
		Visibility  string   `json:"visibility"`
		MediaIDs    []string `json:"media_ids"`
		SpoilerText *string  `json:"spoiler_text"`
		Poll        *struct {
			Options   []string `json:"options"`
			ExpiresIn string   `json:"expires_in"`
		} `json:"poll"`
		ApplicationID *int64 `json:"application_id"`
	} `json:"params"`
	MediaAttachments []struct {
		ID string `json:"id"`
	} `json:"media_attachments"`
}

// Scheduled statuses: made through go-mastodon (scheduled_at), listed,
// moved, deleted, and published through the normal post path when their
// time comes (the clock is moved rather than waited for).
func TestScheduledStatuses(t *testing.T) {
	ts := server.StartTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := goMastodonClients(t, ctx, ts, "ann", "ben")
	ann := cl[0]
	tok := ts.Token(t, "ann", "read write")
	benTok := ts.Token(t, "ben", "read write")

	at := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Second)
	// go-mastodon reads params.poll as a Poll entity, which Mastodon does
	// not send (its options are strings): a poll is scheduled by a form.
	sched, err := ann.PostStatus(ctx, &mastodon.Toot{Status: "later", Visibility: "unlisted", ScheduledAt: &at})
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	var got apiScheduled
	ts.JSON(t, "GET", "/api/v1/scheduled_statuses/"+string(sched.ID), tok, nil, 200, &got)
	if got.ScheduledAt != at.Format("2006-01-02T15:04:05.000Z") || got.Params.Text != "later" ||
		got.Params.Visibility != "unlisted" || got.Params.Poll != nil || got.Params.ApplicationID == nil {
		t.Fatalf("scheduled status: %+v", got)
	}
	var withPoll apiScheduled
	ts.JSON(t, "POST", "/api/v1/statuses", tok, url.Values{"status": {"a poll later"}, "poll[options][]": {"yes", "no"},
		"poll[expires_in]": {"3600"}, "scheduled_at": {at.Add(time.Minute).Format(time.RFC3339)}}, 200, &withPoll)
	if withPoll.Params.Poll == nil || withPoll.Params.Poll.ExpiresIn != "3600" || len(withPoll.Params.Poll.Options) != 2 {
		t.Fatalf("scheduled poll: %+v", withPoll)
	}
	// Nothing is published yet.
	var mine []apiPollStatus
	annID := accountID(t, ts, tok)
	ts.JSON(t, "GET", "/api/v1/accounts/"+annID+"/statuses", tok, nil, 200, &mine)
	if len(mine) != 0 {
		t.Fatalf("published early: %+v", mine)
	}

	// A second one, with media, by a plain form.
	m := uploadTestImage(t, ts, tok)
	var withMedia apiScheduled
	ts.JSON(t, "POST", "/api/v1/statuses", tok, url.Values{"status": {"a picture later"}, "media_ids[]": {m},
		"scheduled_at": {time.Now().Add(20 * time.Minute).UTC().Format(time.RFC3339)}}, 200, &withMedia)
	if len(withMedia.MediaAttachments) != 1 || withMedia.MediaAttachments[0].ID != m || len(withMedia.Params.MediaIDs) != 1 {
		t.Fatalf("scheduled with media: %+v", withMedia)
	}
	// The held upload is not pruned as unattached.
	if n, err := ts.Srv.Svc.DeleteUnattachedMedia(ctx, time.Now().Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("pruned %d held uploads (%v)", n, err)
	}

	var list []apiScheduled
	h := ts.JSON(t, "GET", "/api/v1/scheduled_statuses", tok, nil, 200, &list)
	if len(list) != 3 || list[0].ID != withMedia.ID || list[2].ID != string(sched.ID) || h.Get("Link") == "" {
		t.Fatalf("list: %+v %v", list, h)
	}
	ts.JSON(t, "GET", "/api/v1/scheduled_statuses", benTok, nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("ben sees ann's scheduled posts: %+v", list)
	}
	if code, _, _ := ts.Do(t, "GET", "/api/v1/scheduled_statuses/"+withMedia.ID, benTok, nil); code != 404 {
		t.Fatalf("ben reads ann's scheduled post: %d", code)
	}

	// Refusals: too soon, not a date, moved too soon, unknown.
	for _, c := range []struct {
		method, path string
		body         url.Values
		want         int
	}{
		{"POST", "/api/v1/statuses", url.Values{"status": {"x"}, "scheduled_at": {time.Now().Add(time.Minute).Format(time.RFC3339)}}, 422},
		{"POST", "/api/v1/statuses", url.Values{"status": {"x"}, "scheduled_at": {"tomorrow"}}, 422},
		{"PUT", "/api/v1/scheduled_statuses/" + withMedia.ID, url.Values{"scheduled_at": {time.Now().Format(time.RFC3339)}}, 422},
		{"PUT", "/api/v1/scheduled_statuses/" + withMedia.ID, url.Values{}, 422},
		{"PUT", "/api/v1/scheduled_statuses/99999", url.Values{"scheduled_at": {at.Add(time.Hour).Format(time.RFC3339)}}, 404},
		{"DELETE", "/api/v1/scheduled_statuses/99999", nil, 404},
	} {
		var body any
		if c.body != nil {
			body = c.body
		}
		if code, _, b := ts.Do(t, c.method, c.path, tok, body); code != c.want {
			t.Errorf("%s %s %v: %d %s", c.method, c.path, c.body, code, b)
		}
	}

	// Move the second one later, then delete the first.
	later := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	ts.JSON(t, "PUT", "/api/v1/scheduled_statuses/"+withMedia.ID, tok, url.Values{"scheduled_at": {later.Format(time.RFC3339)}}, 200, &got)
	if got.ScheduledAt != later.Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("moved: %+v", got)
	}
	ts.JSON(t, "DELETE", "/api/v1/scheduled_statuses/"+string(sched.ID), tok, nil, 200, nil)
	if code, _, _ := ts.Do(t, "GET", "/api/v1/scheduled_statuses/"+string(sched.ID), tok, nil); code != 404 {
		t.Fatalf("deleted scheduled post still there: %d", code)
	}

	// A third, then time passes beyond the first hour: only the third is
	// due (the second was moved to two hours ahead).
	var third apiScheduled
	ts.JSON(t, "POST", "/api/v1/statuses", tok, `{"status":"on time","visibility":"public","scheduled_at":"`+
		time.Now().Add(30*time.Minute).UTC().Format(time.RFC3339)+`"}`, 200, &third)
	ts.Srv.Svc.SetClock(func() time.Time { return time.Now().Add(time.Hour) })
	ts.Srv.Jobs.Wake(core.JobPublishScheduled)
	if err := ts.Srv.Jobs.Drained(ctx, core.JobPublishScheduled); err != nil {
		t.Fatal(err)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/"+annID+"/statuses", tok, nil, 200, &mine)
	if len(mine) != 2 || mine[0].Poll != nil && mine[1].Poll != nil || mine[0].Poll == nil && mine[1].Poll == nil {
		t.Fatalf("after an hour: %+v, want the poll and the third", mine)
	}
	ts.JSON(t, "GET", "/api/v1/scheduled_statuses", tok, nil, 200, &list)
	if len(list) != 1 || list[0].ID != withMedia.ID {
		t.Fatalf("left scheduled: %+v", list)
	}
	// Two more hours: the one with media is published with it.
	ts.Srv.Svc.SetClock(func() time.Time { return time.Now().Add(3 * time.Hour) })
	ts.Srv.Jobs.Wake(core.JobPublishScheduled)
	if err := ts.Srv.Jobs.Drained(ctx, core.JobPublishScheduled); err != nil {
		t.Fatal(err)
	}
	var statuses []struct {
		Content          string `json:"content"`
		MediaAttachments []struct {
			ID string `json:"id"`
		} `json:"media_attachments"`
		Application *struct {
			Name string `json:"name"`
		} `json:"application"`
	}
	ts.JSON(t, "GET", "/api/v1/accounts/"+annID+"/statuses", tok, nil, 200, &statuses)
	if len(statuses) != 3 || len(statuses[0].MediaAttachments) != 1 || statuses[0].MediaAttachments[0].ID != m {
		t.Fatalf("published: %+v", statuses)
	}
	ts.JSON(t, "GET", "/api/v1/scheduled_statuses", tok, nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("still scheduled: %+v", list)
	}
}
