package media

import (
	"encoding/binary"
	"image"
	"image/color"
)

// What processing an image costs in memory, from its header alone. The
// figures follow what the decoders and the steps of imagePlan.run
// allocate; the budget charges the most that is alive at once.

// memSlack covers what is not counted below: decoder and encoder state
// (zlib, Huffman tables), row buffers, small images.
const memSlack = 2 << 20

// memory is the most memory processing the image holds at once: the input
// bytes plus the largest of three phases (decoding; cropping, scaling and
// orienting; encoding the original and making the preview), plus an eighth
// for the garbage of the earlier phases that the collector has not taken
// back yet (measured: a 6300×6300 PNG peaks 4% above its live buffers).
func (p *imagePlan) memory() int64 {
	px := func(w, h int) int64 { return int64(w) * int64(h) }
	w, h := p.cfg.Width, p.cfg.Height
	src := decodedSize(p.t, p.data, p.cfg, p.gi)

	// Phase 1: the decoder at its peak.
	decoding := decoderPeak(p.t, p.data, p.cfg, p.gi)

	// Phase 2: the decoded source, and what the original is made with.
	// origW×origH is the original's size, origPix its pixel buffer when it
	// is not the source itself.
	working := src
	origW, origH := p.tw, p.th
	var origPix, encoded int64
	switch {
	case p.keepGIF:
		origW, origH = w, h
		origPix = 4 * px(w, h) // the first frame on an RGBA canvas
		if p.gi.Metadata {
			// Every frame decoded, and re-encoded: LZW codes are at most
			// 12 bits a pixel.
			working += p.gi.FramePixels + p.gi.FramePixels*3/2
		}
		working += origPix
	case !p.resized && p.orientation == 1:
		encoded = encodedSize(p.t, w, h)
		if p.t == PNG || p.t == GIF {
			encoded = src // PNG again, of the same pixels
		}
	case !p.resized:
		origPix = 4 * px(p.tw, p.th)
		working += origPix
		encoded = encodedSize(p.t, p.tw, p.th)
	default:
		scw, sch, stw, sth := p.sourceResize()
		origPix = 4 * px(stw, sth)
		working += resizeMemory(scw, sch, stw, sth) + origPix
		if p.orientation != 1 {
			working += origPix // oriented copy of the scaled image
		}
		encoded = encodedSize(p.t, p.tw, p.th)
	}

	// Phase 3: the original encoded, then the preview made from it. The
	// source is still alive when it is the original (or the GIF's frame).
	encoding := origPix + encoded
	if origPix == 0 || p.keepGIF {
		encoding += src
	}
	if p.o.SmallPixels > 0 {
		sw, sh := p.smallSize(origW, origH)
		encoding += resizeMemory(origW, origH, sw, sh) + 4*px(sw, sh) + px(sw, sh) // pixels, JPEG bytes
	}
	n := int64(len(p.data)) + max(decoding, working, encoding)
	return n + n/8 + memSlack
}

// encodedSize bounds the encoded original of w×h pixels: PNG of
// incompressible pixels is about their raw size; JPEG at quality 90 stays
// under 2 bytes a pixel.
func encodedSize(source Type, w, h int) int64 {
	if source == JPEG {
		return 2 * int64(w) * int64(h)
	}
	return 4 * int64(w) * int64(h)
}

// resizeMemory is what resize allocates to scale sw×sh into dw×dh (the
// destination itself not counted): the k×k block averages and their
// strip, and CatmullRom's intermediate when it is used.
func resizeMemory(sw, sh, dw, dh int) int64 {
	if dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0 {
		return 0
	}
	var n int64
	if k := min(sw/dw, sh/dh); k >= 2 {
		ow, oh := (sw+k-1)/k, (sh+k-1)/k
		n += 4*int64(ow)*int64(oh) + 4*int64(sw)*int64(k) + 20*int64(ow)
		sh = oh
	}
	if im := int64(dw) * int64(sh) * 32; im <= maxIntermediate {
		n += im
	}
	return n
}

// decodedSize is the size of the decoded image the decoders return.
func decodedSize(t Type, data []byte, cfg image.Config, gi gifInfo) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch t {
	case JPEG:
		if f, ok := jpegFrameOf(data); ok {
			n := f.planes()
			if f.comps == 4 || cfg.ColorModel == color.RGBAModel {
				n = 4 * px // CMYK, or RGB converted to RGBA
			}
			return n
		}
		return 4 * px
	case PNG:
		return pngPixelBytes(data) * px
	case GIF:
		return max(px, gi.MaxFramePixels) // the first frame, paletted
	case WebP:
		switch lossless, alpha := webpKind(data); {
		case lossless:
			return 4 * px
		case alpha:
			return 5 * px / 2 // YCbCr 4:2:0 with alpha
		}
		return 3 * px / 2
	}
	return 4 * px
}

// decoderPeak is the most the decoder holds while decoding.
func decoderPeak(t Type, data []byte, cfg image.Config, gi gifInfo) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	out := decodedSize(t, data, cfg, gi)
	switch t {
	case JPEG:
		f, ok := jpegFrameOf(data)
		if !ok {
			return 24 * px // the worst: progressive CMYK
		}
		n := f.planes()
		if f.progressive {
			n += 4 * f.planes() // 64 int32 coefficients per 8×8 block
		}
		if f.comps == 4 || cfg.ColorModel == color.RGBAModel {
			n += out // the planes are converted into the output
		}
		return n
	case PNG:
		if len(data) > 28 && data[28] == 1 {
			return 2 * out // Adam7: each pass decoded apart, then merged
		}
		return out
	case WebP:
		switch lossless, alpha := webpKind(data); {
		case lossless:
			return 8 * px // the pixels and the colour-indexing transform's copy
		case alpha:
			return 3*px/2 + 9*px // YCbCr; the alpha plane is a lossless image
		}
		return out
	}
	return out
}

// pngPixelBytes is the bytes a pixel of a PNG takes once decoded: image/png
// gives Paletted (1), Gray (1), Gray16 (2), RGBA or NRGBA (4), RGBA64 or
// NRGBA64 (8); greys with a tRNS chunk become NRGBA(64).
func pngPixelBytes(b []byte) int64 {
	if len(b) < 33 {
		return 8
	}
	depth, ct := b[24], b[25]
	switch {
	case ct == 3:
		return 1
	case ct == 0 && !pngHasTRNS(b):
		if depth == 16 {
			return 2
		}
		return 1
	case depth == 16:
		return 8
	}
	return 4
}

// pngHasTRNS reports a tRNS chunk before the image data.
func pngHasTRNS(b []byte) bool {
	for p, n := 8, 0; p+8 <= len(b) && n < 256; n++ {
		size := int(binary.BigEndian.Uint32(b[p:]))
		switch string(b[p+4 : p+8]) {
		case "tRNS":
			return true
		case "IDAT", "IEND":
			return false
		}
		if size < 0 || size > len(b)-p-12 {
			return true // malformed: assume the costlier case
		}
		p += 12 + size
	}
	return true
}

// webpKind tells a lossless WebP (a VP8L image chunk) and a lossy one
// with an alpha chunk (itself a lossless image) from the first chunks;
// anything odd counts as the costlier case.
func webpKind(b []byte) (lossless, alpha bool) {
	for p, n := 12, 0; n < 16; n++ {
		if p+8 > len(b) {
			return true, true
		}
		size := int64(binary.LittleEndian.Uint32(b[p+4:]))
		switch string(b[p : p+4]) {
		case "VP8L":
			return true, false
		case "ALPH":
			alpha = true
		case "VP8 ":
			return false, alpha
		}
		next := int64(p) + 8 + size + size%2
		if next > int64(len(b)) {
			return true, true
		}
		p = int(next)
	}
	return true, true
}

// jpegFrame is a JPEG's frame header (SOF): the components' sampling
// factors, and whether it is progressive.
type jpegFrame struct {
	width, height int
	comps         int
	h, v          [4]int
	progressive   bool
}

// planes is the bytes of the component planes image/jpeg decodes into: one
// byte a sample, in whole MCUs.
func (f jpegFrame) planes() int64 {
	if f.comps == 1 {
		// image/jpeg ignores the sampling factors of greyscale images.
		return 64 * int64((f.width+7)/8) * int64((f.height+7)/8)
	}
	hmax, vmax := 1, 1
	for i := 0; i < f.comps; i++ {
		hmax, vmax = max(hmax, f.h[i]), max(vmax, f.v[i])
	}
	mxx := int64((f.width + 8*hmax - 1) / (8 * hmax))
	myy := int64((f.height + 8*vmax - 1) / (8 * vmax))
	var blocks int64
	for i := 0; i < f.comps; i++ {
		blocks += mxx * myy * int64(f.h[i]*f.v[i])
	}
	return 64 * blocks
}

// jpegFrameOf reads a JPEG's frame header.
func jpegFrameOf(b []byte) (jpegFrame, bool) {
	var f jpegFrame
	found := false
	jpegSegments(b, func(marker byte, data []byte) bool {
		switch marker {
		case 0xC0, 0xC1, 0xC2:
			if len(data) < 6 {
				return false
			}
			f.progressive = marker == 0xC2
			f.height = int(binary.BigEndian.Uint16(data[1:]))
			f.width = int(binary.BigEndian.Uint16(data[3:]))
			f.comps = int(data[5])
			if f.comps != 1 && f.comps != 3 && f.comps != 4 || len(data) < 6+3*f.comps {
				return false
			}
			for i := 0; i < f.comps; i++ {
				s := data[6+3*i+1]
				f.h[i], f.v[i] = max(1, int(s>>4)), max(1, int(s&0x0F))
			}
			found = true
			return false
		}
		return true
	})
	return f, found
}
