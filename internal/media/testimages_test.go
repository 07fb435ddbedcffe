package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// testPhoto draws a w×h picture: left half red, right half blue, with a
// gradient so that the codecs have something to chew on.
func testPhoto(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g := uint8(y * 255 / max(1, h-1) / 4)
			if x < w/2 {
				img.Set(x, y, color.RGBA{220, g, 30, 255})
			} else {
				img.Set(x, y, color.RGBA{30, g, 220, 255})
			}
		}
	}
	return img
}

// gpsTIFF builds an Exif TIFF block with IFD0 {Orientation, GPSInfo} and a
// GPS IFD {GPSLatitudeRef "N", GPSLatitude 48/1 51/1 2979/100}.
func gpsTIFF(orientation uint16) []byte {
	be := binary.BigEndian
	var b bytes.Buffer
	w16 := func(v uint16) { _ = binary.Write(&b, be, v) }
	w32 := func(v uint32) { _ = binary.Write(&b, be, v) }
	b.WriteString("MM")
	w16(42)
	w32(8)
	// IFD0 at 8: 2 entries.
	w16(2)
	w16(0x0112) // Orientation SHORT
	w16(3)
	w32(1)
	w16(orientation)
	w16(0)
	w16(0x8825) // GPSInfo LONG -> 38
	w16(4)
	w32(1)
	w32(38)
	w32(0) // next IFD
	// GPS IFD at 38: 2 entries.
	w16(2)
	w16(0x0001) // GPSLatitudeRef ASCII "N\0"
	w16(2)
	w32(2)
	b.WriteString("N\x00\x00\x00")
	w16(0x0002) // GPSLatitude RATIONAL x3 -> 68
	w16(5)
	w32(3)
	w32(68)
	w32(0)
	for _, r := range [][2]uint32{{48, 1}, {51, 1}, {2979, 100}} {
		w32(r[0])
		w32(r[1])
	}
	return b.Bytes()
}

// GPSMarker is a byte string of the GPS block the tests look for.
var gpsMarker = []byte{0, 0, 0x0B, 0xA3, 0, 0, 0, 0x64} // 2979/100

// jpegWithExif encodes img and inserts, after SOI, an Exif APP1 segment
// (orientation + GPS), an XMP APP1 segment and a COM segment.
func jpegWithExif(t testing.TB, img image.Image, orientation uint16) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	seg := func(marker byte, payload []byte) []byte {
		out := []byte{0xFF, marker, 0, 0}
		binary.BigEndian.PutUint16(out[2:], uint16(len(payload)+2))
		return append(out, payload...)
	}
	var out bytes.Buffer
	out.Write(raw[:2])
	out.Write(seg(0xE1, append([]byte("Exif\x00\x00"), gpsTIFF(orientation)...)))
	out.Write(seg(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>48,51.49N</exif:GPSLatitude></x:xmpmeta>")))
	out.Write(seg(0xFE, []byte("secret comment")))
	out.Write(raw[2:])
	return out.Bytes()
}
