package server_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

// smallPNG is an ordinary w×h picture.
func smallPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeBudgetRefusesWhatItCannotHold: with media.decode_memory_budget
// at 64 MiB, the 116 KB PNG of 6300×6300 pixels (250 MiB to process) is
// refused before it is decoded: uploaded, 422; attached to a remote status,
// its proxy URL answers 404 to 20 concurrent requests, and the origin is
// asked for it once in all (the one fetch is shared, and its failure
// remembered). Concurrent uploads of smaller images all succeed, never
// charging more than the budget. Before the budget, both were decoded.
func TestDecodeBudgetRefusesWhatItCannotHold(t *testing.T) {
	const budget = 64 << 20
	ts := server.StartTest(t, func(c *config.Config) { c.Media.DecodeMemoryBudget = budget })
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	bomb := solidPNG(t, bombSide, bombSide)

	if status, body := uploadImage(t, ts, tok, "bomb.png", bomb); status != 422 || !strings.Contains(string(body), "too large") {
		t.Fatalf("upload of the 6300×6300 PNG: %d %s", status, body)
	}

	o := newOrigin(t, bomb, "image/png")
	u := remoteStatusWithAttachment(t, ts, o.URL, model.Public, nil)
	var served atomic.Int64
	concurrently(20, func(int) {
		if status, _ := get(t, u, ""); status == 200 {
			served.Add(1)
		}
	})
	if n := served.Load(); n != 0 {
		t.Errorf("%d proxy requests were served the 6300×6300 PNG", n)
	}
	if status, _ := get(t, u, ""); status != 404 {
		t.Errorf("proxy after the failure: %d", status)
	}
	if n := o.hits.Load(); n != 1 {
		t.Errorf("the origin was asked %d times for the file, want once", n)
	}

	// 1000×1000 costs about 14 MiB: four at once fit, eight wait.
	img := smallPNG(t, 1000, 1000)
	var ok atomic.Int64
	concurrently(8, func(int) {
		if status, body := uploadImage(t, ts, tok, "photo.png", img); status == 200 {
			ok.Add(1)
		} else {
			t.Errorf("upload: %d %s", status, body)
		}
	})
	b := ts.Srv.Svc.DecodeBudget()
	if ok.Load() != 8 || b.Peak() == 0 || b.Peak() > budget {
		t.Fatalf("%d of 8 uploads; peak charge %d of %d", ok.Load(), b.Peak(), budget)
	}
}

// TestEveryImageDecodeIsCharged: uploads, avatars, custom emoji, remote
// attachments, remote avatars and link preview images all go through the
// one decode budget.
func TestEveryImageDecodeIsCharged(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "admin")
	tok := ts.Token(t, "alice", "read write admin:write")
	img := smallPNG(t, 64, 64)
	mux := http.NewServeMux()
	mux.HandleFunc("/img.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(img)
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><head><title>A page</title><meta property="og:image" content="/img.png"></head></html>`)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()

	b := ts.Srv.Svc.DecodeBudget()
	charged := func(what string, do func()) {
		t.Helper()
		before := b.Images()
		do()
		if b.Images() == before {
			t.Errorf("%s: decoded outside the budget", what)
		}
	}
	multipartTo := func(method, path string, fields map[string]string, field string) {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="i.png"`, field))
		h.Set("Content-Type", "image/png")
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(img)
		_ = mw.Close()
		req, _ := http.NewRequest(method, ts.URL+path, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+tok)
		if status, body := send(t, req); status != 200 {
			t.Fatalf("%s %s: %d %s", method, path, status, body)
		}
	}
	charged("upload", func() { multipartTo("POST", "/api/v2/media", nil, "file") })
	charged("avatar", func() { multipartTo("PATCH", "/api/v1/accounts/update_credentials", nil, "avatar") })
	charged("emoji", func() {
		multipartTo("POST", "/api/v1/admin/custom_emojis", map[string]string{"shortcode": "blob"}, "image")
	})
	charged("remote attachment", func() {
		u := remoteStatusWithAttachment(t, ts, base+"/img.png", model.Public, nil)
		if status, body := get(t, u, ""); status != 200 {
			t.Fatalf("proxy: %d %s", status, body)
		}
	})
	charged("remote avatar", func() {
		ctx := context.Background()
		a, err := ts.Srv.Store.AccountByURI(ctx, "http://"+ln.Addr().String()+"/users/mallory")
		if err != nil {
			t.Fatal(err)
		}
		a.AvatarURL = base + "/img.png?avatar"
		if err := ts.Srv.Store.UpsertRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if status, body := get(t, ts.Srv.Svc.AccountImageURL(a, "avatar"), ""); status != 200 {
			t.Fatalf("avatar proxy: %d %s", status, body)
		}
	})
	charged("link preview image", func() {
		if !cardOf(t, ts, tok, base+"/page") {
			t.Fatal("no preview card")
		}
	})
}
