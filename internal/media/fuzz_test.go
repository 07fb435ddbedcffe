package media

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// FuzzProcessImage feeds arbitrary bytes to the image checks and the
// processing: nothing may panic or exceed the limits, and whatever is
// accepted must come out as a decodable image of an accepted type with no
// Exif block.
func FuzzProcessImage(f *testing.F) {
	f.Add(jpegWithExif(f, testPhoto(16, 8), 6))
	var buf bytes.Buffer
	_ = png.Encode(&buf, testPhoto(9, 7))
	f.Add(append([]byte{}, buf.Bytes()...))
	buf.Reset()
	_ = gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 5, 5), []color.Color{color.White, color.Black}), nil)
	f.Add(append([]byte{}, buf.Bytes()...))
	f.Add(pngHeaderOnly(100000, 100000))
	f.Add([]byte("RIFF\x20\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("<svg onload=alert(1)>"))
	opts := ImageOptions{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxFrames: 50, OriginalPixels: 1 << 16,
		SmallPixels: 1 << 12, Blurhash: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = jpegOrientation(data)
		if _, err := scanGIF(data, 50); err != nil && !IsMediaError(err) {
			t.Fatalf("scanGIF: unexpected error %v", err)
		}
		img, err := processImage(data, opts)
		if err != nil {
			if !IsMediaError(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		files := []File{img.Original}
		if img.Small != nil {
			files = append(files, *img.Small)
		}
		for _, fl := range files {
			if int64(fl.Width)*int64(fl.Height) > opts.MaxPixels {
				t.Fatalf("output %dx%d above the limit", fl.Width, fl.Height)
			}
			var derr error
			switch fl.Type {
			case JPEG:
				_, derr = jpeg.Decode(bytes.NewReader(fl.Data))
				if bytes.Contains(fl.Data, []byte("Exif\x00\x00")) {
					t.Fatal("Exif block in output")
				}
			case PNG:
				_, derr = png.Decode(bytes.NewReader(fl.Data))
			case GIF:
				_, derr = gif.Decode(bytes.NewReader(fl.Data))
			default:
				t.Fatalf("output type %v", fl.Type)
			}
			if derr != nil {
				t.Fatalf("output does not decode: %v", derr)
			}
		}
	})
}
