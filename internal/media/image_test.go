package media

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"time"
)

var testOpts = ImageOptions{MaxBytes: 16 << 20, MaxPixels: 40_000_000, OriginalPixels: DefaultOriginalPixels,
	SmallPixels: DefaultSmallPixels, Blurhash: true}

func TestJPEGMetadataStrippedAndOriented(t *testing.T) {
	data := jpegWithExif(t, testPhoto(400, 200), 6)
	if jpegOrientation(data) != 6 {
		t.Fatalf("orientation %d", jpegOrientation(data))
	}
	if !bytes.Contains(data, gpsMarker) || !bytes.Contains(data, []byte("Exif")) {
		t.Fatal("test image lacks its GPS block")
	}
	img, err := processImage(data, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*File{"original": &img.Original, "small": img.Small} {
		for _, bad := range [][]byte{gpsMarker, []byte("Exif"), []byte("xmpmeta"), []byte("GPS"), []byte("secret comment")} {
			if bytes.Contains(f.Data, bad) {
				t.Errorf("%s still contains %q", name, bad)
			}
		}
		if f.Type != JPEG {
			t.Errorf("%s type %v", name, f.Type)
		}
	}
	// Rotated 90° clockwise: 200×400, the red left half now on top.
	if img.Original.Width != 200 || img.Original.Height != 400 {
		t.Fatalf("original %dx%d", img.Original.Width, img.Original.Height)
	}
	dec, err := jpeg.Decode(bytes.NewReader(img.Original.Data))
	if err != nil {
		t.Fatal(err)
	}
	if b := dec.Bounds(); b.Dx() != 200 || b.Dy() != 400 {
		t.Fatalf("decoded %v", b)
	}
	r, _, bl, _ := dec.At(100, 50).RGBA()
	if r>>8 < 150 || bl>>8 > 100 {
		t.Errorf("top is not red: r=%d b=%d", r>>8, bl>>8)
	}
	r, _, bl, _ = dec.At(100, 350).RGBA()
	if bl>>8 < 150 || r>>8 > 100 {
		t.Errorf("bottom is not blue: r=%d b=%d", r>>8, bl>>8)
	}
	if len(img.Blurhash) != 36 {
		t.Errorf("blurhash %q", img.Blurhash)
	}
}

func TestAllOrientations(t *testing.T) {
	src := testPhoto(6, 4)
	// Where the source's (0,0) corner lands for each orientation.
	want := map[int][2]int{1: {0, 0}, 2: {5, 0}, 3: {5, 3}, 4: {0, 3}, 5: {0, 0}, 6: {3, 0}, 7: {3, 5}, 8: {0, 5}}
	src.Set(0, 0, color.RGBA{0, 255, 0, 255})
	for o := 1; o <= 8; o++ {
		out := orient(src, o)
		p := want[o]
		if c := out.RGBAAt(p[0], p[1]); c.G != 255 {
			t.Errorf("orientation %d: corner not at %v (size %v)", o, p, out.Bounds())
		}
	}
}

func TestPNGAndWebPLikeAndGIF(t *testing.T) {
	// PNG with transparency and a text chunk.
	img := image.NewNRGBA(image.Rect(0, 0, 300, 100))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := buf.Bytes()
	// Insert a tEXt chunk after IHDR (8 + 25 bytes); the CRC is not
	// checked for ancillary chunks by Go's decoder? It is: compute it.
	p = insertPNGText(p, "Comment", "GPS 48.85N")
	out, err := processImage(p, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Original.Type != PNG || bytes.Contains(out.Original.Data, []byte("GPS")) {
		t.Errorf("PNG original: %v, text kept: %v", out.Original.Type, bytes.Contains(out.Original.Data, []byte("GPS")))
	}
	if out.Small == nil || out.Small.Type != PNG {
		t.Errorf("transparent preview must stay PNG")
	}

	// Animated GIF with a comment: animation kept, comment dropped.
	pal := []color.Color{color.Black, color.White}
	g := &gif.GIF{LoopCount: 0}
	for i := 0; i < 3; i++ {
		fr := image.NewPaletted(image.Rect(0, 0, 20, 10), pal)
		fr.SetColorIndex(i, 0, 1)
		g.Image = append(g.Image, fr)
		g.Delay = append(g.Delay, 10)
	}
	buf.Reset()
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	out, err = processImage(plain, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Animated || !bytes.Equal(out.Original.Data, plain) {
		t.Errorf("plain animated GIF not kept as is")
	}
	// Add a comment extension before the trailer.
	withComment := append(append([]byte{}, plain[:len(plain)-1]...), 0x21, 0xFE, 5, 'h', 'e', 'l', 'l', 'o', 0, 0x3B)
	out, err = processImage(withComment, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Original.Data, []byte("hello")) {
		t.Error("GIF comment kept")
	}
	back, err := gif.DecodeAll(bytes.NewReader(out.Original.Data))
	if err != nil || len(back.Image) != 3 {
		t.Fatalf("animation lost: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	good := jpegWithExif(t, testPhoto(64, 64), 1)
	cases := map[string]struct {
		data []byte
		o    ImageOptions
		want error
	}{
		"truncated jpeg":  {good[:len(good)/2], testOpts, ErrCorrupt},
		"html named jpeg": {[]byte("<!DOCTYPE html><html><body>hi</body></html>"), testOpts, ErrUnsupported},
		"svg":             {[]byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), testOpts, ErrUnsupported},
		"too many bytes":  {good, ImageOptions{MaxBytes: 100}, ErrTooLarge},
		"too many pixels": {good, ImageOptions{MaxPixels: 64*64 - 1}, ErrTooManyPixels},
		"bomb header":     {pngHeaderOnly(60000, 60000), testOpts, ErrTooManyPixels},
		"empty":           {nil, testOpts, ErrUnsupported},
		"video":           {append([]byte{0, 0, 0, 0x18}, []byte("ftypmp42\x00\x00\x00\x00mp42isom")...), testOpts, ErrUnsupported},
	}
	for name, c := range cases {
		_, err := processImage(c.data, c.o)
		if err != c.want {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// A truncated GIF.
	var buf bytes.Buffer
	_ = gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 8, 8), []color.Color{color.Black}), nil)
	if _, err := processImage(buf.Bytes()[:buf.Len()-3], testOpts); err != ErrCorrupt {
		t.Errorf("truncated gif: %v", err)
	}
}

func TestSniff(t *testing.T) {
	for head, want := range map[string]Type{
		"\xff\xd8\xff\xe0":                     JPEG,
		"\x89PNG\r\n\x1a\n":                    PNG,
		"GIF89a":                               GIF,
		"RIFF\x00\x00\x00\x00WEBPVP8 ":         WebP,
		"\x00\x00\x00\x18ftypisom":             MP4,
		"\x00\x00\x00\x18ftypM4A ":             M4A,
		"\x1a\x45\xdf\xa3":                     WebM,
		"OggS":                                 OGG,
		"ID3\x04":                              MP3,
		"RIFF\x00\x00\x00\x00WAVEfmt ":         WAV,
		"\x00\x00\x00\x18ftypheic\x00\x00\x00": {},
		"<svg":                                 {},
		"%PDF-1.7":                             {},
	} {
		got, _ := Sniff([]byte(head))
		if got != want {
			t.Errorf("%q: %v, want %v", head, got, want)
		}
	}
}

func TestBlurhashKnownShape(t *testing.T) {
	img := testPhoto(32, 32)
	h := Blurhash(img, 4, 3)
	if len(h) != 4+2+2*11 || !strings.HasPrefix(h, "L") { // size flag (4-1)+(3-1)*9 = 21 = 'L'
		t.Fatalf("blurhash %q", h)
	}
	// Flat white, 2×2 components, worked out by hand from the algorithm:
	// size flag 10 'A'; the cos(πix/w) basis leaves AC 0.25 → max 41 'f';
	// DC 0xFFFFFF "TSUA"; AC (18,18,18) "~q" twice, (12,12,12) "t7".
	flat := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range flat.Pix {
		flat.Pix[i] = 0xFF
	}
	if h := Blurhash(flat, 2, 2); h != "AfTSUA~q~qt7" {
		t.Errorf("flat white: %q", h)
	}
}

func TestAvatarCrop(t *testing.T) {
	data := jpegWithExif(t, testPhoto(800, 400), 1)
	o := testOpts
	o.FitW, o.FitH, o.SmallPixels = 400, 400, 0
	img, err := processImage(data, o)
	if err != nil {
		t.Fatal(err)
	}
	if img.Original.Width != 400 || img.Original.Height != 400 {
		t.Fatalf("avatar %dx%d", img.Original.Width, img.Original.Height)
	}
}

func pngHeaderOnly(w, h int) []byte {
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := buf.Bytes()
	// Patch IHDR's width/height and its CRC.
	put := func(off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(16, uint32(w))
	put(20, uint32(h))
	put(29, crc32png(b[12:29]))
	return b
}

// BenchmarkProcess12MP processes one 12-megapixel JPEG (4000×3000, with
// Exif orientation 6 and GPS): decode, orient, downscale to 8.3 MP,
// re-encode, preview, blurhash. It reports the peak heap growth.
func BenchmarkProcess12MP(b *testing.B) {
	src := noisyPhoto(4000, 3000)
	data := jpegWithExif(b, src, 6)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := make(chan struct{})
		done := make(chan uint64)
		go func() {
			var m runtime.MemStats
			hi := uint64(0)
			for {
				runtime.ReadMemStats(&m)
				if m.HeapInuse > hi {
					hi = m.HeapInuse
				}
				select {
				case <-stop:
					done <- hi
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		if _, err := processImage(data, testOpts); err != nil {
			b.Fatal(err)
		}
		close(stop)
		if hi := <-done; hi-before.HeapInuse > peak {
			peak = hi - before.HeapInuse
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

func noisyPhoto(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for i := 0; i < len(img.Pix); i += 4 {
		seed = seed*1664525 + 1013904223
		x, y := (i/4)%w, (i/4)/w
		img.Pix[i] = uint8(x*255/w) ^ uint8(seed>>28)
		img.Pix[i+1] = uint8(y*255/h) ^ uint8(seed>>24)
		img.Pix[i+2] = uint8((x+y)*127/(w+h)) ^ uint8(seed>>26)
		img.Pix[i+3] = 0xFF
	}
	return img
}

func TestStillGIF(t *testing.T) {
	pal := []color.Color{color.Black, color.White}
	g := &gif.GIF{}
	for i := 0; i < 2; i++ {
		g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, 8, 8), pal))
		g.Delay = append(g.Delay, 5)
	}
	var buf bytes.Buffer
	_ = gif.EncodeAll(&buf, g)
	img, err := processImage(buf.Bytes(), ImageOptions{Still: true})
	if err != nil || img.Animated || img.Original.Type != PNG {
		t.Fatalf("still: %+v %v", img, err)
	}
}

// testBudget is large enough for every test image.
var testBudget = NewBudget(1 << 40)

func processImage(data []byte, o ImageOptions) (*Image, error) {
	return testBudget.ProcessImage(context.Background(), data, o)
}
