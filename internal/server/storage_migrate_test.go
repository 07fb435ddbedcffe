package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage/sqlite"
)

// An instance moves from SQLite to PostgreSQL and back: every table's rows
// arrive, and a server on each copy serves them (a home timeline, a poll,
// notifications, the old token, a new one: the sequences went past the
// copied ids).
func TestStorageMigrateRoundTrip(t *testing.T) {
	if os.Getenv("HERALD_TEST_DRIVER") == "postgres" {
		t.Skip("the source is SQLite")
	}
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	dir1 := filepath.Join(t.TempDir(), "data")
	var cfg1 config.Config
	var aliceTok, bobTok string
	var statusIDs []string
	t.Run("populate", func(t *testing.T) {
		ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dir1 })
		cfg1 = ts.Cfg
		ts.CreateUser(t, "alice", "user")
		bob := ts.CreateUser(t, "bob", "user")
		aliceTok, bobTok = ts.Token(t, "alice", "read write follow"), ts.Token(t, "bob", "read write follow")
		_ = bob
		var alice struct{ ID string }
		ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", aliceTok, nil, 200, &alice)
		ts.JSON(t, "POST", "/api/v1/accounts/"+alice.ID+"/follow", bobTok, nil, 200, nil)
		media := uploadPNG(t, ts, aliceTok)
		for i := range 3 {
			var st struct{ ID string }
			body := map[string]any{"status": fmt.Sprintf("post %d", i), "visibility": "public"}
			switch i {
			case 1:
				body["media_ids"] = []string{media}
			case 2:
				body["poll"] = map[string]any{"options": []string{"yes", "no"}, "expires_in": 3600}
			}
			ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, body, 200, &st)
			statusIDs = append(statusIDs, st.ID)
		}
		ts.JSON(t, "POST", "/api/v1/statuses/"+statusIDs[0]+"/favourite", bobTok, nil, 200, nil)
		dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := ts.Srv.Jobs.Drained(dctx, core.JobMediaProcess); err != nil {
			t.Fatal(err)
		}
	})
	if t.Failed() {
		return
	}
	cfgPG := cfg1
	cfgPG.Storage.Driver, cfgPG.Storage.DSN = "postgres", dsn
	check := func(counts []server.TableCount, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]int64{}
		for _, c := range counts {
			rows[c.Table] = c.Source
			if c.Source != c.Dst {
				t.Errorf("%s: %d rows, %d copied", c.Table, c.Source, c.Dst)
			}
		}
		for _, tb := range []string{"accounts", "statuses", "follows", "notifications", "polls", "media_attachments", "jobs", "tokens"} {
			if rows[tb] == 0 {
				t.Errorf("table %s is empty: the instance was not populated as meant (%v)", tb, rows)
			}
		}
	}
	check(server.CopyDatabase(ctx, cfg1, cfgPG, nil))
	if _, err := server.CopyDatabase(ctx, cfg1, cfgPG, nil); !errors.Is(err, sqlite.ErrNotEmpty) {
		t.Fatalf("a copy into a database with data: %v, want ErrNotEmpty", err)
	}
	cfg3 := cfg1
	cfg3.Storage.DataDir = filepath.Join(t.TempDir(), "data")
	check(server.CopyDatabase(ctx, cfgPG, cfg3, nil))

	for _, c := range []config.Config{cfgPG, cfg3} {
		t.Run(c.Storage.Driver, func(t *testing.T) {
			ts := server.StartTest(t, func(n *config.Config) {
				n.Storage = c.Storage
				n.Media = c.Media
			})
			var home []struct {
				ID               string
				Content          string
				MediaAttachments []struct{ ID string } `json:"media_attachments"`
				Poll             *struct{ ID string }
			}
			ts.JSON(t, "GET", "/api/v1/timelines/home", bobTok, nil, 200, &home)
			if len(home) != 3 || home[0].ID != statusIDs[2] || home[0].Poll == nil || len(home[1].MediaAttachments) != 1 {
				t.Fatalf("home timeline after the move: %+v", home)
			}
			// Counters arrive as they were, not counted again by triggers.
			var fav struct {
				FavouritesCount int `json:"favourites_count"`
				Account         struct {
					StatusesCount  int `json:"statuses_count"`
					FollowersCount int `json:"followers_count"`
				}
			}
			ts.JSON(t, "GET", "/api/v1/statuses/"+statusIDs[0], bobTok, nil, 200, &fav)
			if fav.FavouritesCount != 1 || fav.Account.StatusesCount != 3 || fav.Account.FollowersCount != 1 {
				t.Errorf("counters after the move: %+v", fav)
			}
			var notes []struct{ Type string }
			ts.JSON(t, "GET", "/api/v1/notifications", aliceTok, nil, 200, &notes)
			if len(notes) != 2 {
				t.Errorf("alice's notifications: %+v (want the follow and the favourite)", notes)
			}
			// A new token and a new status: the ids made after the copy are new.
			tok := ts.Token(t, "bob", "read write")
			var st struct{ ID string }
			ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "after the move"}, 200, &st)
			var voted struct{ Voted bool }
			ts.JSON(t, "POST", "/api/v1/polls/"+home[0].Poll.ID+"/votes", tok, map[string]any{"choices": []int{0}}, 200, &voted)
		})
	}
}

func uploadPNG(t *testing.T, ts *server.TestServer, tok string) string {
	t.Helper()
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="i.png"`)
	h.Set("Content-Type", "image/png")
	w, _ := mw.CreatePart(h)
	_, _ = w.Write(img.Bytes())
	_ = mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/media", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, out.String())
	}
	s := out.String()
	i := strings.Index(s, `"id":"`)
	return strings.SplitN(s[i+6:], `"`, 2)[0]
}
