package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/api"
	"github.com/herald-social/herald/internal/testutil"
)

// followFrom matches a follow notification from the account with id.
func followFrom(id int64) func(streamEvent) bool {
	return func(e streamEvent) bool {
		return notificationEvent("follow")(e) && strings.Contains(e.Payload, `"account":{"id":"`+fmt.Sprint(id)+`"`)
	}
}

func countEvents(s *eventSource, match func(streamEvent) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if match(e) {
			n++
		}
	}
	return n
}

// TestStreamingNotificationSentOnce: a notification is streamed once, not
// again when the tailer's window has moved on (it was re-sent every ~34 s
// with the real window). A later notification is the signal: when it has
// arrived, any repeat of the first would have come before it.
func TestStreamingNotificationSentOnce(t *testing.T) {
	defer api.SetNotificationTailing(300*time.Millisecond, 50*time.Millisecond)()
	f := startStreaming(t)
	alice := dialWS(t, f.ts, f.tAlice, "protocol", "stream=user")
	f.ts.JSON(t, "POST", "/api/v1/accounts/"+fmt.Sprint(f.alice.ID)+"/follow", f.tDave, nil, 200, nil)
	alice.wait("follow notification", 5*time.Second, followFrom(f.dave.ID))
	// Past three windows and more polls (the old tailer forgot what it had
	// sent after three windows and read it again).
	start := time.Now()
	testutil.Eventually(t, 10*time.Second, "the window moved on", func() bool { return time.Since(start) > 1500*time.Millisecond })
	id := f.post(t, f.tAlice, "like me", "public")
	f.ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", f.tCar, nil, 200, nil)
	alice.wait("favourite notification", 5*time.Second, notificationEvent("favourite"))
	if n := countEvents(alice, followFrom(f.dave.ID)); n != 1 {
		t.Fatalf("follow notification streamed %d times:%s", n, alice.dump())
	}
}

// TestStreamingNotificationJustBeforeSubscribe: a notification committed
// while its recipient had no stream open, just before it subscribes,
// reaches the new stream (the tailer had already passed it, found nobody
// and forgotten it).
func TestStreamingNotificationJustBeforeSubscribe(t *testing.T) {
	f := startStreaming(t)
	carol := dialWS(t, f.ts, f.tCar, "protocol", "stream=user")
	// dave follows alice (not connected), then carol: once carol's
	// notification arrived, the tailer has passed alice's.
	f.ts.JSON(t, "POST", "/api/v1/accounts/"+fmt.Sprint(f.alice.ID)+"/follow", f.tDave, nil, 200, nil)
	f.ts.JSON(t, "POST", "/api/v1/accounts/"+fmt.Sprint(f.carol.ID)+"/follow", f.tDave, nil, 200, nil)
	carol.wait("carol's follow notification", 5*time.Second, notificationEvent("follow"))
	alice := dialWS(t, f.ts, f.tAlice, "protocol", "stream=user")
	alice.wait("alice's follow notification, committed before she subscribed", 5*time.Second, followFrom(f.dave.ID))
}

// TestFollowNotificationRemovedOnUnfollow: unfollowing removes the follow
// notification; following again notifies again (listed and streamed).
func TestFollowNotificationRemovedOnUnfollow(t *testing.T) {
	f := startStreaming(t)
	alice := dialWS(t, f.ts, f.tAlice, "protocol", "stream=user")
	path := "/api/v1/accounts/" + fmt.Sprint(f.alice.ID)
	follows := func() int {
		var ns []struct {
			Type    string `json:"type"`
			Account struct {
				ID string `json:"id"`
			} `json:"account"`
		}
		f.ts.JSON(t, "GET", "/api/v1/notifications?types[]=follow", f.tAlice, nil, 200, &ns)
		n := 0
		for _, x := range ns {
			if x.Type == "follow" && x.Account.ID == fmt.Sprint(f.dave.ID) {
				n++
			}
		}
		return n
	}
	f.ts.JSON(t, "POST", path+"/follow", f.tDave, nil, 200, nil)
	alice.wait("first follow notification", 5*time.Second, followFrom(f.dave.ID))
	if n := follows(); n != 1 {
		t.Fatalf("after follow: %d follow notifications", n)
	}
	f.ts.JSON(t, "POST", path+"/unfollow", f.tDave, nil, 200, nil)
	if n := follows(); n != 0 {
		t.Fatalf("after unfollow: %d follow notifications", n)
	}
	f.ts.JSON(t, "POST", path+"/follow", f.tDave, nil, 200, nil)
	testutil.Eventually(t, 5*time.Second, "a second follow notification streamed", func() bool {
		return countEvents(alice, followFrom(f.dave.ID)) == 2
	})
	if n := follows(); n != 1 {
		t.Fatalf("after the second follow: %d follow notifications", n)
	}
}

// TestStreamingPublicMedia: public:media and public:local:media carry
// public posts with media only.
func TestStreamingPublicMedia(t *testing.T) {
	f := startStreaming(t)
	media := dialWS(t, f.ts, f.tDave, "protocol", "stream=public:media")
	media.send(map[string]any{"type": "subscribe", "stream": "public:local:media"})
	media.sync()
	sse := dialSSE(t, f.ts, f.tDave, "/api/v1/streaming/public/local/media", "public:local:media")
	plain := f.post(t, f.tAlice, "no picture", "public")
	var m mediaJSON
	if st := upload(t, f.ts, "POST", "/api/v2/media", f.tAlice, nil, map[string]formFile{"file": {"p.jpg", "image/jpeg", gpsJPEG(t, 32, 16)}}, &m); st != 200 {
		t.Fatalf("upload: %d", st)
	}
	var st struct {
		ID string `json:"id"`
	}
	f.ts.JSON(t, "POST", "/api/v1/statuses", f.tAlice, map[string]any{"status": "a picture", "media_ids": []string{m.ID}}, 200, &st)
	e := media.wait("media post on public:media", 5*time.Second, statusEvent("update", st.ID))
	media.wait("media post on public:local:media", 5*time.Second, func(x streamEvent) bool {
		return statusEvent("update", st.ID)(x) && len(x.Stream) > 0 && x.Stream[0] == "public:local:media"
	})
	if len(e.Stream) == 0 || (e.Stream[0] != "public:media" && e.Stream[0] != "public:local:media") {
		t.Fatalf("stream names: %v", e.Stream)
	}
	sse.wait("media post on SSE", 5*time.Second, statusEvent("update", st.ID))
	f.barrier(t, media, sse)
	media.none("text post on media streams", statusEvent("update", plain))
	sse.none("text post on SSE media stream", statusEvent("update", plain))
}

// TestStreamingDirectFromStranger: as Mastodon, a direct message reaches
// the user stream (home) of a mentioned account only when it follows the
// author; otherwise it comes as a mention notification and a conversation.
func TestStreamingDirectFromStranger(t *testing.T) {
	f := startStreaming(t)
	// bob follows alice; carol does not.
	bob := dialWS(t, f.ts, f.tBob, "protocol", "stream=user")
	carol := dialWS(t, f.ts, f.tCar, "protocol", "stream=user")
	carol.send(map[string]any{"type": "subscribe", "stream": "direct"})
	carol.sync()
	fromFriend := f.post(t, f.tAlice, "@bob psst", "direct")
	fromStranger := f.post(t, f.tAlice, "@carol psst", "direct")
	bob.wait("direct message from a followed account", 5*time.Second, statusEvent("update", fromFriend))
	carol.wait("mention notification", 5*time.Second, notificationEvent("mention"))
	carol.wait("conversation", 5*time.Second, func(e streamEvent) bool { return e.Event == "conversation" })
	f.barrier(t, carol)
	carol.none("direct message from a stranger as an update", statusEvent("update", fromStranger))
}
