package media

import (
	"image"
	"math"
	"strings"
)

// Blurhash encoding (https://blurha.sh), written from the algorithm's
// description: a DCT of the image in linear RGB, the DC term as an sRGB
// colour and the AC terms quantised against their maximum, all in base 83.

const base83Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

func base83(sb *strings.Builder, v, length int) {
	for i := 1; i <= length; i++ {
		d := (v / ipow(83, length-i)) % 83
		sb.WriteByte(base83Chars[d])
	}
}

func ipow(b, e int) int {
	r := 1
	for ; e > 0; e-- {
		r *= b
	}
	return r
}

var srgbToLinearTable [256]float64

func init() {
	for i := range srgbToLinearTable {
		v := float64(i) / 255
		if v <= 0.04045 {
			srgbToLinearTable[i] = v / 12.92
		} else {
			srgbToLinearTable[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
}

func linearToSRGB(v float64) int {
	v = math.Max(0, math.Min(1, v))
	if v <= 0.0031308 {
		return int(v*12.92*255 + 0.5)
	}
	return int((1.055*math.Pow(v, 1/2.4)-0.055)*255 + 0.5)
}

func signPow(v, e float64) float64 { return math.Copysign(math.Pow(math.Abs(v), e), v) }

// Blurhash encodes img with xComp × yComp components (1-9 each). It reads
// every pixel, so give it a small image (the preview scaled to ~32 px).
func Blurhash(img image.Image, xComp, yComp int) string {
	if xComp < 1 || xComp > 9 || yComp < 1 || yComp > 9 {
		return ""
	}
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return ""
	}
	// Linear RGB of every pixel, once.
	lin := make([][3]float64, w*h)
	rgba, isRGBA := img.(*image.RGBA)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var cr, cg, cb uint8
			if isRGBA {
				o := rgba.PixOffset(r.Min.X+x, r.Min.Y+y)
				cr, cg, cb = rgba.Pix[o], rgba.Pix[o+1], rgba.Pix[o+2]
			} else {
				R, G, B, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
				cr, cg, cb = uint8(R>>8), uint8(G>>8), uint8(B>>8)
			}
			lin[y*w+x] = [3]float64{srgbToLinearTable[cr], srgbToLinearTable[cg], srgbToLinearTable[cb]}
		}
	}
	cosX := make([]float64, xComp*w)
	for i := 0; i < xComp; i++ {
		for x := 0; x < w; x++ {
			cosX[i*w+x] = math.Cos(math.Pi * float64(i) * float64(x) / float64(w))
		}
	}
	cosY := make([]float64, yComp*h)
	for j := 0; j < yComp; j++ {
		for y := 0; y < h; y++ {
			cosY[j*h+y] = math.Cos(math.Pi * float64(j) * float64(y) / float64(h))
		}
	}
	factors := make([][3]float64, 0, xComp*yComp)
	for j := 0; j < yComp; j++ {
		for i := 0; i < xComp; i++ {
			var f [3]float64
			for y := 0; y < h; y++ {
				cy := cosY[j*h+y]
				for x := 0; x < w; x++ {
					basis := cosX[i*w+x] * cy
					p := lin[y*w+x]
					f[0] += basis * p[0]
					f[1] += basis * p[1]
					f[2] += basis * p[2]
				}
			}
			norm := 2.0
			if i == 0 && j == 0 {
				norm = 1
			}
			scale := norm / float64(w*h)
			factors = append(factors, [3]float64{f[0] * scale, f[1] * scale, f[2] * scale})
		}
	}
	var sb strings.Builder
	base83(&sb, (xComp-1)+(yComp-1)*9, 1)
	maxValue := 1.0
	ac := factors[1:]
	if len(ac) > 0 {
		actualMax := 0.0
		for _, f := range ac {
			actualMax = math.Max(actualMax, math.Max(math.Abs(f[0]), math.Max(math.Abs(f[1]), math.Abs(f[2]))))
		}
		q := int(math.Max(0, math.Min(82, math.Floor(actualMax*166-0.5))))
		maxValue = float64(q+1) / 166
		base83(&sb, q, 1)
	} else {
		base83(&sb, 0, 1)
	}
	dc := factors[0]
	base83(&sb, linearToSRGB(dc[0])<<16|linearToSRGB(dc[1])<<8|linearToSRGB(dc[2]), 4)
	for _, f := range ac {
		quant := func(v float64) int {
			return int(math.Max(0, math.Min(18, math.Floor(signPow(v/maxValue, 0.5)*9+9.5))))
		}
		base83(&sb, quant(f[0])*19*19+quant(f[1])*19+quant(f[2]), 2)
	}
	return sb.String()
}
