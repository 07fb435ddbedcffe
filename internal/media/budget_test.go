package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"
)

func grayPNG(t testing.TB, w, h int, trns bool) []byte {
	t.Helper()
	var img image.Image = image.NewGray(image.Rect(0, 0, w, h))
	if trns {
		// image/png writes a tRNS chunk for a palette with transparency.
		img = image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Transparent, color.White})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// An image that needs more than the whole budget is refused at once,
// before it is decoded, instead of waiting for memory that never comes.
func TestBudgetRefusesWhatItCannotHold(t *testing.T) {
	data := grayPNG(t, 2000, 2000, false)
	b := NewBudget(1 << 20)
	if _, err := b.ProcessImage(context.Background(), data, testOpts); !errors.Is(err, ErrOverBudget) || !IsMediaError(err) {
		t.Fatalf("err %v, want ErrOverBudget", err)
	}
	if b.Images() != 0 || b.Peak() != 0 {
		t.Fatalf("charged: %d images, peak %d", b.Images(), b.Peak())
	}
}

// Concurrent images share the budget: with room for one and a half, four
// at once are processed one after another, all of them.
func TestBudgetSerialises(t *testing.T) {
	data := jpegWithExif(t, testPhoto(1200, 900), 6)
	p, err := planImage(data, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	cost := p.memory()
	b := NewBudget(cost * 3 / 2)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.ProcessImage(context.Background(), data, testOpts)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if b.Images() != 4 || b.Peak() != cost {
		t.Fatalf("%d images, peak %d, want 4 and %d (one at a time)", b.Images(), b.Peak(), cost)
	}
}

// A caller waiting for the budget stops when its context ends.
func TestBudgetWaitEndsWithContext(t *testing.T) {
	b := NewBudget(64 << 20)
	release, err := b.acquire(context.Background(), b.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.ProcessImage(ctx, grayPNG(t, 10, 10, false), testOpts); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// The cost is read from the headers: the JPEG frame's sampling factors
// and progressive mode, the PNG's colour type and tRNS chunk.
func TestMemoryFromHeaders(t *testing.T) {
	photo := jpegWithExif(t, testPhoto(1000, 800), 1) // image/jpeg writes 4:2:0
	f, ok := jpegFrameOf(photo)
	if !ok || f.comps != 3 || f.h != [4]int{2, 1, 1} || f.v != [4]int{2, 1, 1} || f.progressive {
		t.Fatalf("frame %+v %v", f, ok)
	}
	// 63×50 MCUs of 16×16: 4 luma and 2 chroma blocks of 64 samples each.
	if got, want := f.planes(), int64(63*50*6*64); got != want {
		t.Fatalf("planes %d, want %d", got, want)
	}
	i := bytes.Index(photo, []byte{0xFF, 0xC0})
	prog := append([]byte{}, photo...)
	prog[i+1] = 0xC2
	cfg := image.Config{Width: 1000, Height: 800, ColorModel: color.YCbCrModel}
	if base, pr := decoderPeak(JPEG, photo, cfg, gifInfo{}), decoderPeak(JPEG, prog, cfg, gifInfo{}); pr != 5*base {
		t.Fatalf("progressive %d, baseline %d: want the coefficients (4 bytes a sample) on top", pr, base)
	}
	if n := pngPixelBytes(grayPNG(t, 8, 8, false)); n != 1 {
		t.Fatalf("grey PNG: %d bytes a pixel", n)
	}
	if n := pngPixelBytes(grayPNG(t, 8, 8, true)); n != 1 {
		t.Fatalf("paletted PNG: %d bytes a pixel", n)
	}
	// A grey PNG with a transparent grey decodes to NRGBA.
	g := grayPNG(t, 8, 8, false)
	trns := []byte{0, 0, 0, 2, 't', 'R', 'N', 'S', 0, 0}
	trns = binary.BigEndian.AppendUint32(trns, crc32png(trns[4:]))
	g = append(append(append([]byte{}, g[:33]...), trns...), g[33:]...)
	if n := pngPixelBytes(g); n != 4 {
		t.Fatalf("grey PNG with tRNS: %d bytes a pixel", n)
	}
	if m, err := png.Decode(bytes.NewReader(g)); err != nil {
		t.Fatalf("grey PNG with tRNS: %v", err)
	} else if _, ok := m.(*image.NRGBA); !ok {
		t.Fatalf("grey PNG with tRNS decodes to %T", m)
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewNRGBA64(image.Rect(0, 0, 4, 4)))
	if n := pngPixelBytes(buf.Bytes()); n != 8 {
		t.Fatalf("16-bit PNG: %d bytes a pixel", n)
	}
}
