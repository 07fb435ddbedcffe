package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/testutil"
)

// The S3 store against a real S3 server: a Put of unknown length (spooled),
// reads at offsets across the ReadAt cache's blocks, seeks, a missing key,
// deleting twice, listing.
func TestS3Store(t *testing.T) {
	s3 := testutil.StartS3(t)
	ctx := context.Background()
	st, err := media.NewS3Store(media.S3Options{Endpoint: s3.Endpoint, Bucket: "store-test", Region: s3.Region,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx, false); err == nil {
		t.Fatal("Check passed without the bucket")
	}
	if err := st.Check(ctx, true); err != nil {
		t.Fatal(err)
	}

	data := make([]byte, 700<<10) // about three cache blocks
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	key := media.NewKey("attachments", "clip.mp4")
	// io.MultiReader hides the length: the store spools it.
	if n, err := st.Put(ctx, key, io.MultiReader(bytes.NewReader(data))); err != nil || n != int64(len(data)) {
		t.Fatalf("put: %d %v", n, err)
	}
	f, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != int64(len(data)) || f.ModTime().IsZero() {
		t.Fatalf("size %d, modified %v", f.Size(), f.ModTime())
	}
	ra := f.(io.ReaderAt)
	for _, c := range []struct{ off, n int }{{0, 10}, {262140, 10}, {600000, 100000}, {len(data) - 5, 5}, {5, 524288}} {
		b := make([]byte, c.n)
		if n, err := ra.ReadAt(b, int64(c.off)); n != c.n || (err != nil && err != io.EOF) || !bytes.Equal(b, data[c.off:c.off+c.n]) {
			t.Errorf("ReadAt(%d, %d): %d %v", c.off, c.n, n, err)
		}
	}
	if n, err := ra.ReadAt(make([]byte, 10), int64(len(data)-4)); n != 4 || err != io.EOF {
		t.Errorf("ReadAt past the end: %d %v", n, err)
	}
	if _, err := f.Seek(1000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(rest, data[1000:]) {
		t.Errorf("read after seek: %d bytes, %v", len(rest), err)
	}

	var listed []string
	if err := st.Walk(ctx, func(k string, size int64) error { listed = append(listed, k); return nil }); err != nil || len(listed) != 1 || listed[0] != key {
		t.Errorf("walk: %v %v", listed, err)
	}
	if _, err := st.Open(ctx, media.NewKey("attachments", "gone.png")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open of a missing key: %v", err)
	}
	for range 2 {
		if err := st.Delete(ctx, key); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	if _, err := st.Open(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open after delete: %v", err)
	}
	if _, err := st.Put(ctx, "../escape", bytes.NewReader(nil)); err == nil {
		t.Error("put of an invalid key accepted")
	}
}
