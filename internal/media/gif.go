package media

import "bytes"

// gifInfo is what a structural walk of a GIF finds, without decoding.
type gifInfo struct {
	Width, Height int
	Frames        int
	FramePixels   int64 // sum of the frames' areas
	// MaxFramePixels is the largest frame's area.
	MaxFramePixels int64
	// Metadata: comment, plain-text or application blocks other than the
	// looping ones (XMP lives in an application block).
	Metadata bool
	// End is the length of the GIF up to its trailer: bytes after it are
	// not part of the image (and are dropped).
	End int
}

// scanGIF walks a GIF's blocks, checking that every length stays inside
// the data and that a trailer ends it; it stops past maxFrames frames.
func scanGIF(b []byte, maxFrames int) (gifInfo, error) {
	var gi gifInfo
	if len(b) < 13 {
		return gi, ErrCorrupt
	}
	gi.Width = int(b[6]) | int(b[7])<<8
	gi.Height = int(b[8]) | int(b[9])<<8
	p := 13
	if b[10]&0x80 != 0 {
		p += 3 << (int(b[10]&7) + 1)
	}
	// subBlocks skips data sub-blocks from p; it returns the position after
	// the terminator, or -1 when the data ends first.
	subBlocks := func(p int) int {
		for p < len(b) {
			n := int(b[p])
			p++
			if n == 0 {
				return p
			}
			p += n
		}
		return -1
	}
	for {
		if p >= len(b) {
			return gi, ErrCorrupt
		}
		switch b[p] {
		case 0x3B: // trailer
			if gi.Frames == 0 {
				return gi, ErrCorrupt
			}
			gi.End = p + 1
			return gi, nil
		case 0x21: // extension
			if p+2 > len(b) {
				return gi, ErrCorrupt
			}
			label := b[p+1]
			switch label {
			case 0xF9: // graphic control: keep
			case 0xFF: // application
				if p+3 < len(b) && b[p+2] == 11 && p+3+11 <= len(b) {
					id := b[p+3 : p+3+11]
					if !bytes.Equal(id, []byte("NETSCAPE2.0")) && !bytes.Equal(id, []byte("ANIMEXTS1.0")) {
						gi.Metadata = true
					}
				} else {
					gi.Metadata = true
				}
			default: // comment (0xFE), plain text (0x01), unknown
				gi.Metadata = true
			}
			if p = subBlocks(p + 2); p < 0 {
				return gi, ErrCorrupt
			}
		case 0x2C: // image descriptor
			if p+10 > len(b) {
				return gi, ErrCorrupt
			}
			w := int(b[p+5]) | int(b[p+6])<<8
			h := int(b[p+7]) | int(b[p+8])<<8
			flags := b[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (int(flags&7) + 1)
			}
			p++ // LZW minimum code size
			if p > len(b) {
				return gi, ErrCorrupt
			}
			if p = subBlocks(p); p < 0 {
				return gi, ErrCorrupt
			}
			gi.Frames++
			gi.FramePixels += int64(w) * int64(h)
			gi.MaxFramePixels = max(gi.MaxFramePixels, int64(w)*int64(h))
			if gi.Frames > maxFrames {
				return gi, ErrTooManyPixels
			}
		default:
			return gi, ErrCorrupt
		}
	}
}
