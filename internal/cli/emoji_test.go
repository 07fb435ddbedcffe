package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func pngBytes(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 12, 12))
	for i := range 12 {
		img.Set(i, 11-i, c)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestEmojiImportWhileServing: "herald emoji import" adds a folder of
// images as custom emoji while the server runs (the API lists them with
// their category), names each file it cannot import and why, skips what
// is not an image file, ends with a count and exits 1 when a file failed;
// a second run refuses existing shortcodes unless --overwrite.
func TestEmojiImportWhileServing(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[instance]\ndomain = \"localhost:%d\"\nprotocol = \"http\"\n[server]\nlisten = \"127.0.0.1:%d\"\n[storage]\ndata_dir = \"data\"\n", port, port)), 0o600)
	base := fmt.Sprintf("http://localhost:%d", port)
	startServe(t, dir, nil, base, "--config", cfg, "--init")

	imgs := filepath.Join(dir, "emoji")
	os.Mkdir(imgs, 0o755)
	files := map[string][]byte{
		"city_logo.png": pngBytes(t, color.RGBA{0, 90, 160, 255}),
		"town_hall.PNG": pngBytes(t, color.RGBA{160, 90, 0, 255}),
		"a.png":         pngBytes(t, color.RGBA{1, 2, 3, 255}), // shortcode too short
		"bad-name.png":  pngBytes(t, color.RGBA{1, 2, 3, 255}),
		"fake.gif":      []byte("GIF89a but not really"),
		"huge.png":      bytes.Repeat([]byte{0x89}, 300<<10),
		"notes.txt":     []byte("not an image"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(imgs, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := run(t, dir, nil, "emoji", "import", "--config", cfg, "--category", "Civic", imgs)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (some files failed): %s %s", code, stdout, stderr)
	}
	for _, want := range []string{"added :city_logo: from city_logo.png", "added :town_hall: from town_hall.PNG",
		`failed a.png: the shortcode "a" is not valid`, `failed bad-name.png: the shortcode "bad-name" is not valid`,
		"failed fake.gif:", "failed huge.png: the file is larger than 256 KB", "skipped notes.txt",
		"2 added, 0 replaced, 1 skipped, 4 failed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "4 of the files could not be imported") {
		t.Errorf("stderr: %q", stderr)
	}

	resp, err := http.Get(base + "/api/v1/custom_emojis")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ Shortcode, Category, URL string }
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 2 || list[0].Shortcode != "city_logo" || list[0].Category != "Civic" || list[1].Shortcode != "town_hall" {
		t.Fatalf("custom emoji after the import: %+v", list)
	}
	if st, _ := getBytes(list[0].URL); st != 200 {
		t.Errorf("the imported image is not served: %d", st)
	}

	// Again: existing shortcodes are refused, then replaced with --overwrite
	// (flags after the folder work too).
	good := filepath.Join(dir, "good")
	os.Mkdir(good, 0o755)
	os.WriteFile(filepath.Join(good, "city_logo.png"), pngBytes(t, color.RGBA{200, 0, 0, 255}), 0o644)
	stdout, _, code = run(t, dir, nil, "emoji", "import", "--config", cfg, good)
	if code != 1 || !strings.Contains(stdout, "failed city_logo.png: :city_logo: already exists (--overwrite replaces it)") {
		t.Fatalf("existing without --overwrite: exit %d %s", code, stdout)
	}
	stdout, _, code = run(t, dir, nil, "emoji", "import", "--config", cfg, good, "--overwrite")
	if code != 0 || !strings.Contains(stdout, "replaced :city_logo: from city_logo.png") || !strings.Contains(stdout, "0 added, 1 replaced, 0 skipped, 0 failed") {
		t.Fatalf("--overwrite: exit %d %s", code, stdout)
	}
	if _, _, code := run(t, dir, nil, "emoji", "import", "--config", cfg); code != 2 {
		t.Errorf("no folder: exit %d, want 2", code)
	}
	if _, stderr, code := run(t, dir, nil, "emoji", "import", "--config", cfg, filepath.Join(dir, "missing")); code != 1 || !strings.Contains(stderr, "cannot read the folder") {
		t.Errorf("a missing folder: exit %d %s", code, stderr)
	}
	if stdout, _, code := run(t, dir, nil, "emoji", "import", "--help"); code != 0 || !strings.Contains(stdout, "-overwrite") {
		t.Errorf("--help: exit %d %s", code, stdout)
	}
}
