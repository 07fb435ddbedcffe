package media

import (
	"image"

	"golang.org/x/image/draw"
)

// maxIntermediate bounds CatmullRom's intermediate image in resize.
const maxIntermediate = 32 << 20

// resize scales the sr part of src into all of dst, with bounded memory.
//
// x/image/draw's CatmullRom keeps an intermediate of dst width × source
// height × 32 bytes, which for a 12-megapixel photo is hundreds of MiB. So
// large reductions first average k×k blocks (k the integer part of the
// factor), streaming k source rows at a time, and the rest (a factor under
// 2) is done by CatmullRom when its intermediate is small, or by bilinear
// interpolation, which is accurate at such factors.
func resize(dst *image.RGBA, src image.Image, sr image.Rectangle) {
	dw, dh := dst.Bounds().Dx(), dst.Bounds().Dy()
	if dw <= 0 || dh <= 0 || sr.Empty() {
		return
	}
	k := min(sr.Dx()/dw, sr.Dy()/dh)
	if k >= 2 {
		src = boxReduce(src, sr, k)
		sr = src.Bounds()
	}
	if int64(dw)*int64(sr.Dy())*32 <= maxIntermediate {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, sr, draw.Src, nil)
	} else {
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, sr, draw.Src, nil)
	}
}

// boxReduce averages k×k blocks of the sr part of src (premultiplied RGBA,
// so transparency averages right); partial blocks at the edges average
// what they cover.
func boxReduce(src image.Image, sr image.Rectangle, k int) *image.RGBA {
	ow, oh := (sr.Dx()+k-1)/k, (sr.Dy()+k-1)/k
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	strip := image.NewRGBA(image.Rect(0, 0, sr.Dx(), k))
	acc := make([]uint32, ow*4)
	cnt := make([]uint32, ow)
	for oy := 0; oy < oh; oy++ {
		y0 := sr.Min.Y + oy*k
		rows := min(k, sr.Max.Y-y0)
		sb := image.Rect(0, 0, sr.Dx(), rows)
		draw.Draw(strip, sb, src, image.Pt(sr.Min.X, y0), draw.Src)
		clear(acc)
		clear(cnt)
		for r := 0; r < rows; r++ {
			row := strip.Pix[r*strip.Stride : r*strip.Stride+sr.Dx()*4]
			for x := 0; x < sr.Dx(); x++ {
				ox := x / k
				p := row[x*4 : x*4+4]
				a := acc[ox*4 : ox*4+4]
				a[0] += uint32(p[0])
				a[1] += uint32(p[1])
				a[2] += uint32(p[2])
				a[3] += uint32(p[3])
				cnt[ox]++
			}
		}
		orow := out.Pix[oy*out.Stride : oy*out.Stride+ow*4]
		for ox := 0; ox < ow; ox++ {
			n := cnt[ox]
			if n == 0 {
				continue
			}
			for c := 0; c < 4; c++ {
				orow[ox*4+c] = uint8((acc[ox*4+c] + n/2) / n)
			}
		}
	}
	return out
}
