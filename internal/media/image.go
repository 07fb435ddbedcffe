package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Defaults of ImageOptions, as Mastodon's.
const (
	// DefaultOriginalPixels: larger originals are scaled down to this area
	// (3840×2160).
	DefaultOriginalPixels = 3840 * 2160
	// DefaultSmallPixels: the preview's area (640×360).
	DefaultSmallPixels = 640 * 360
	// DefaultMaxFrames bounds the frames of an animated GIF.
	DefaultMaxFrames = 1000
	// MaxSide bounds either dimension of an accepted image.
	MaxSide = 16384
)

// JPEG qualities of the re-encoded original and of previews.
const (
	originalQuality = 90
	smallQuality    = 82
)

// ImageOptions says how to process one image.
type ImageOptions struct {
	// MaxBytes and MaxPixels refuse larger files before anything is decoded
	// (0: no limit). MaxPixels also bounds the sum of an animated GIF's
	// frame areas.
	MaxBytes  int64
	MaxPixels int64
	// MaxFrames bounds the frames of an animated GIF (0: DefaultMaxFrames).
	MaxFrames int
	// OriginalPixels scales larger originals down to that area (0: keep).
	OriginalPixels int64
	// FitW×FitH, when set, crops the image to that aspect ratio around
	// its centre and scales it down to fit (avatars, headers). Animation is
	// kept only when the GIF already has that size.
	FitW, FitH int
	// BoxW×BoxH, when set, scales larger images down to fit inside that
	// box, keeping their aspect ratio (link preview images, emoji).
	BoxW, BoxH int
	// Still: an animated GIF gives its first frame only (as PNG).
	Still bool
	// SmallPixels is the preview's area (0: no preview).
	SmallPixels int64
	// Blurhash computes the blurhash (from the preview, or the original).
	Blurhash bool
}

// File is one encoded image.
type File struct {
	Data          []byte
	Type          Type
	Width, Height int
}

// Image is a processed image: every file is re-encoded from pixels (or,
// for a GIF without metadata blocks, its own bytes), so it carries no EXIF,
// XMP or comments.
type Image struct {
	Original File
	Small    *File
	Blurhash string
	Animated bool
	// Orientation is the EXIF orientation that was applied (1: none).
	Orientation int
}

// CheckImage sniffs, bounds and reads the header of an image without
// decoding its pixels; it returns the type and the stored dimensions.
func CheckImage(data []byte, o ImageOptions) (Type, image.Config, error) {
	if o.MaxBytes > 0 && int64(len(data)) > o.MaxBytes {
		return Type{}, image.Config{}, ErrTooLarge
	}
	t, err := Sniff(data[:min(len(data), SniffLen)])
	if err != nil {
		return t, image.Config{}, err
	}
	if t.Kind != "image" {
		return t, image.Config{}, ErrUnsupported
	}
	var cfg image.Config
	r := bytes.NewReader(data)
	switch t {
	case JPEG:
		cfg, err = jpeg.DecodeConfig(r)
	case PNG:
		cfg, err = png.DecodeConfig(r)
	case GIF:
		cfg, err = gif.DecodeConfig(r)
	case WebP:
		if webpAnimated(data) {
			return t, cfg, ErrUnsupported
		}
		cfg, err = webp.DecodeConfig(r)
	}
	if err != nil {
		return t, cfg, ErrCorrupt
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return t, cfg, ErrCorrupt
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide ||
		(o.MaxPixels > 0 && int64(cfg.Width)*int64(cfg.Height) > o.MaxPixels) {
		return t, cfg, ErrTooManyPixels
	}
	return t, cfg, nil
}

// webpAnimated reports the animation flag of an extended (VP8X) WebP.
func webpAnimated(b []byte) bool {
	return len(b) >= 21 && string(b[12:16]) == "VP8X" && b[20]&0x02 != 0
}

// imagePlan is what processing an image will do, decided from its header
// alone: the budget charges its memory before anything is decoded.
type imagePlan struct {
	data []byte
	o    ImageOptions
	t    Type
	cfg  image.Config
	gi   gifInfo
	// orientation is the EXIF orientation to apply (1: none).
	orientation int
	// cw×ch is the oriented crop (for FitW×FitH) and tw×th the oriented
	// size of the original.
	cw, ch, tw, th int
	resized        bool
	// keepGIF: the GIF is kept as it is (with its animation).
	keepGIF bool
}

// planImage checks an image and plans its processing, without decoding.
func planImage(data []byte, o ImageOptions) (*imagePlan, error) {
	t, cfg, err := CheckImage(data, o)
	if err != nil {
		return nil, err
	}
	if o.MaxFrames <= 0 {
		o.MaxFrames = DefaultMaxFrames
	}
	p := &imagePlan{data: data, o: o, t: t, cfg: cfg, orientation: 1}
	if t == GIF {
		if p.gi, err = scanGIF(data, o.MaxFrames); err != nil {
			return nil, err
		}
		if o.MaxPixels > 0 && p.gi.FramePixels > o.MaxPixels {
			return nil, ErrTooManyPixels
		}
	}
	if t == JPEG {
		p.orientation = jpegOrientation(data)
	}
	ow, oh := p.orientedSize()
	p.cw, p.ch = ow, oh
	p.tw, p.th = ow, oh
	if o.FitW > 0 && o.FitH > 0 {
		p.cw, p.ch = cropToAspect(ow, oh, o.FitW, o.FitH)
		p.tw, p.th = p.cw, p.ch
		if p.tw > o.FitW || p.th > o.FitH {
			p.tw, p.th = o.FitW, o.FitH
		}
	}
	if o.OriginalPixels > 0 && int64(p.tw)*int64(p.th) > o.OriginalPixels {
		p.tw, p.th = fitArea(p.tw, p.th, o.OriginalPixels)
	}
	if o.BoxW > 0 && o.BoxH > 0 && (p.tw > o.BoxW || p.th > o.BoxH) {
		f := min(float64(o.BoxW)/float64(p.tw), float64(o.BoxH)/float64(p.th))
		p.tw, p.th = max(1, int(float64(p.tw)*f)), max(1, int(float64(p.th)*f))
	}
	p.resized = p.tw != ow || p.th != oh || p.cw != ow || p.ch != oh
	p.keepGIF = t == GIF && !p.resized && !o.Still
	return p, nil
}

// orientedSize is the image's size once oriented.
func (p *imagePlan) orientedSize() (int, int) {
	if p.orientation >= 5 {
		return p.cfg.Height, p.cfg.Width
	}
	return p.cfg.Width, p.cfg.Height
}

// sourceResize is the crop and target of the resize in the source's
// (unoriented) space: the crop is scaled first, then the smaller result
// is oriented.
func (p *imagePlan) sourceResize() (scw, sch, stw, sth int) {
	if p.orientation >= 5 {
		return p.ch, p.cw, p.th, p.tw
	}
	return p.cw, p.ch, p.tw, p.th
}

// smallSize is the preview's size for an original of w×h.
func (p *imagePlan) smallSize(w, h int) (int, int) {
	if int64(w)*int64(h) > p.o.SmallPixels {
		return fitArea(w, h, p.o.SmallPixels)
	}
	return w, h
}

// run decodes and re-encodes the image as planned.
func (p *imagePlan) run() (*Image, error) {
	data, o, t, cfg := p.data, p.o, p.t, p.cfg
	out := &Image{Orientation: p.orientation, Animated: t == GIF && p.gi.Frames > 1}
	src, err := decode(t, data)
	if err != nil {
		return nil, err
	}
	sb := src.Bounds()
	if t != GIF && (sb.Dx() != cfg.Width || sb.Dy() != cfg.Height) {
		return nil, ErrCorrupt
	}

	var orig image.Image
	switch {
	case p.keepGIF:
		// Keep the GIF (and its animation): its own bytes when it carries
		// nothing to strip, otherwise its frames re-encoded.
		if p.gi.Metadata {
			g, err := gif.DecodeAll(bytes.NewReader(data))
			if err != nil {
				return nil, ErrCorrupt
			}
			g.Config.ColorModel = nil // let EncodeAll recompute from the frames
			var buf bytes.Buffer
			if err := gif.EncodeAll(&buf, g); err != nil {
				return nil, err
			}
			out.Original = File{Data: buf.Bytes(), Type: GIF, Width: cfg.Width, Height: cfg.Height}
		} else {
			out.Original = File{Data: data[:p.gi.End], Type: GIF, Width: cfg.Width, Height: cfg.Height}
		}
		// The first frame on the logical screen, for the preview.
		canvas := image.NewRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
		draw.Draw(canvas, src.Bounds(), src, src.Bounds().Min, draw.Src)
		orig = canvas
	default:
		if t == GIF {
			out.Animated = false // resized: the first frame only
		}
		switch {
		case !p.resized && p.orientation == 1:
			orig = src
		case !p.resized:
			orig = orient(src, p.orientation)
		default:
			scw, sch, stw, sth := p.sourceResize()
			dst := image.NewRGBA(image.Rect(0, 0, stw, sth))
			resize(dst, src, centred(sb, scw, sch))
			orig = dst
			if p.orientation != 1 {
				orig = orient(dst, p.orientation)
			}
		}
		f, err := encodeStill(orig, t, originalQuality)
		if err != nil {
			return nil, err
		}
		out.Original = f
	}

	var small image.Image
	if o.SmallPixels > 0 {
		b := orig.Bounds()
		sw, sh := p.smallSize(b.Dx(), b.Dy())
		dst := image.NewRGBA(image.Rect(0, 0, sw, sh))
		resize(dst, orig, b)
		small = dst
		f, err := encodeStill(dst, JPEG, smallQuality)
		if err != nil {
			return nil, err
		}
		out.Small = &f
	}
	if o.Blurhash {
		from := small
		if from == nil {
			from = orig
		}
		b := from.Bounds()
		bw, bh := b.Dx(), b.Dy()
		if bw > 32 || bh > 32 {
			if bw >= bh {
				bw, bh = 32, max(1, int(math.Round(float64(bh)*32/float64(bw))))
			} else {
				bw, bh = max(1, int(math.Round(float64(bw)*32/float64(bh)))), 32
			}
		}
		tiny := image.NewRGBA(image.Rect(0, 0, bw, bh))
		draw.ApproxBiLinear.Scale(tiny, tiny.Bounds(), from, b, draw.Src, nil)
		out.Blurhash = Blurhash(tiny, 4, 4)
	}
	return out, nil
}

func decode(t Type, data []byte) (img image.Image, err error) {
	defer func() {
		// The decoders should not panic on any input; if one does, the
		// file is refused rather than the process.
		if r := recover(); r != nil {
			img, err = nil, ErrCorrupt
		}
	}()
	r := bytes.NewReader(data)
	switch t {
	case JPEG:
		img, err = jpeg.Decode(r)
	case PNG:
		img, err = png.Decode(r)
	case GIF:
		img, err = gif.Decode(r)
	case WebP:
		img, err = webp.Decode(r)
	default:
		return nil, ErrUnsupported
	}
	if err != nil {
		return nil, ErrCorrupt
	}
	return img, nil
}

// encodeStill encodes a still image: JPEG for JPEG sources and for opaque
// images whose source format cannot be written (WebP), PNG otherwise.
func encodeStill(img image.Image, source Type, quality int) (File, error) {
	b := img.Bounds()
	var buf bytes.Buffer
	t := PNG
	if source == JPEG || (source != PNG && source != GIF && opaque(img)) {
		t = JPEG
	}
	if source == JPEG && !opaque(img) {
		t = PNG
	}
	var err error
	if t == JPEG {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	} else {
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		err = enc.Encode(&buf, img)
	}
	if err != nil {
		return File{}, err
	}
	return File{Data: buf.Bytes(), Type: t, Width: b.Dx(), Height: b.Dy()}, nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return true
}

// fitArea scales w×h down to about area pixels, keeping the aspect ratio.
func fitArea(w, h int, area int64) (int, int) {
	f := math.Sqrt(float64(area) / (float64(w) * float64(h)))
	if f >= 1 {
		return w, h
	}
	return max(1, int(float64(w)*f)), max(1, int(float64(h)*f))
}

// cropToAspect is the largest w'×h' inside w×h with the aspect of aw×ah.
func cropToAspect(w, h, aw, ah int) (int, int) {
	if int64(w)*int64(ah) > int64(h)*int64(aw) { // too wide
		return max(1, int(int64(h)*int64(aw)/int64(ah))), h
	}
	return w, max(1, int(int64(w)*int64(ah)/int64(aw)))
}

// centred is the w×h rectangle at the centre of r.
func centred(r image.Rectangle, w, h int) image.Rectangle {
	x := r.Min.X + (r.Dx()-w)/2
	y := r.Min.Y + (r.Dy()-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// orient applies an EXIF orientation (2-8), returning a new RGBA image.
func orient(src image.Image, o int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	W, H := w, h
	if o >= 5 {
		W, H = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, W, H))
	var get func(sx, sy int, p []uint8)
	switch s := src.(type) {
	case *image.RGBA:
		get = func(sx, sy int, p []uint8) {
			i := s.PixOffset(b.Min.X+sx, b.Min.Y+sy)
			copy(p, s.Pix[i:i+4])
		}
	case *image.YCbCr:
		get = func(sx, sy int, p []uint8) {
			x, y := b.Min.X+sx, b.Min.Y+sy
			yi, ci := s.YOffset(x, y), s.COffset(x, y)
			p[0], p[1], p[2] = color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
			p[3] = 0xFF
		}
	case *image.Gray:
		get = func(sx, sy int, p []uint8) {
			v := s.Pix[s.PixOffset(b.Min.X+sx, b.Min.Y+sy)]
			p[0], p[1], p[2], p[3] = v, v, v, 0xFF
		}
	default:
		get = func(sx, sy int, p []uint8) {
			c := color.RGBAModel.Convert(src.At(b.Min.X+sx, b.Min.Y+sy)).(color.RGBA)
			p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
		}
	}
	for y := 0; y < H; y++ {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+W*4]
		for x := 0; x < W; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			default:
				sx, sy = x, y
			}
			get(sx, sy, row[x*4:x*4+4])
		}
	}
	return dst
}

// IsMediaError reports the errors of this package that mean "refuse the file".
func IsMediaError(err error) bool {
	return errors.Is(err, ErrUnsupported) || errors.Is(err, ErrTooLarge) ||
		errors.Is(err, ErrTooManyPixels) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrOverBudget)
}
