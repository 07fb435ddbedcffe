package media

import (
	"encoding/binary"
	"io"
	"math"
)

// AV is what can be read of a video or audio file without decoding it.
type AV struct {
	Width, Height int     // 0 when unknown (audio, or not found)
	Duration      float64 // seconds; 0 when unknown
	FPS           float64 // frames per second; 0 when unknown
	HasVideo      bool
}

// ProbeAV reads the container metadata of a video or audio file of type t:
// ISO BMFF (MP4, MOV, M4A) boxes, Matroska/WebM elements, WAV and FLAC
// headers. Other formats, and anything malformed, give what was found so
// far; probing never fails, as the file is stored as it is anyway.
func ProbeAV(r io.ReaderAt, size int64, t Type) AV {
	var av AV
	switch t {
	case MP4, MOV, M4A:
		p := &bmff{r: r}
		p.walk(0, size, 0, &av)
		if p.video.duration > 0 && p.video.samples > 0 {
			av.FPS = math.Round(float64(p.video.samples)/p.video.duration*100) / 100
		}
	case WebM:
		probeEBML(r, size, &av)
	case WAV:
		probeWAV(r, size, &av)
	case FLAC:
		probeFLAC(r, &av)
	}
	if t.Kind == "video" && av.Width > 0 && av.Height > 0 {
		av.HasVideo = true
	}
	return av
}

// readAt reads n bytes at off, nil on any failure.
func readAt(r io.ReaderAt, off int64, n int) []byte {
	if n <= 0 || n > 1<<20 || off < 0 {
		return nil
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil
	}
	return b
}

type bmffTrack struct {
	duration float64
	samples  int64
}

type bmff struct {
	r     io.ReaderAt
	boxes int
	// state of the track being walked
	handler  string
	tw, th   int
	mdhd     float64
	stts     int64
	video    bmffTrack
	gotVideo bool
}

func (p *bmff) walk(start, end int64, depth int, av *AV) {
	for off := start; off+8 <= end && depth < 10; {
		p.boxes++
		if p.boxes > 10000 {
			return
		}
		h := readAt(p.r, off, 8)
		if h == nil {
			return
		}
		size := int64(binary.BigEndian.Uint32(h))
		typ := string(h[4:8])
		hdr := int64(8)
		switch size {
		case 1:
			ext := readAt(p.r, off+8, 8)
			if ext == nil {
				return
			}
			size, hdr = int64(binary.BigEndian.Uint64(ext)), 16
		case 0:
			size = end - off
		}
		if size < hdr || off+size > end {
			return
		}
		body, bodyEnd := off+hdr, off+size
		switch typ {
		case "moov", "mdia", "minf", "stbl":
			p.walk(body, bodyEnd, depth+1, av)
		case "trak":
			p.handler, p.tw, p.th, p.mdhd, p.stts = "", 0, 0, 0, 0
			p.walk(body, bodyEnd, depth+1, av)
			if p.handler == "vide" && !p.gotVideo {
				p.gotVideo = true
				av.Width, av.Height = p.tw, p.th
				p.video = bmffTrack{duration: p.mdhd, samples: p.stts}
			}
		case "mvhd":
			b := readAt(p.r, body, int(min(bodyEnd-body, 32)))
			if len(b) >= 20 && b[0] == 0 {
				if ts := binary.BigEndian.Uint32(b[12:]); ts > 0 {
					av.Duration = float64(binary.BigEndian.Uint32(b[16:])) / float64(ts)
				}
			} else if len(b) >= 32 && b[0] == 1 {
				if ts := binary.BigEndian.Uint32(b[20:]); ts > 0 {
					av.Duration = float64(binary.BigEndian.Uint64(b[24:])) / float64(ts)
				}
			}
		case "tkhd":
			n := bodyEnd - body
			if n >= 84 {
				b := readAt(p.r, bodyEnd-8, 8)
				if b != nil {
					p.tw, p.th = int(binary.BigEndian.Uint32(b)>>16), int(binary.BigEndian.Uint32(b[4:])>>16)
				}
			}
		case "mdhd":
			b := readAt(p.r, body, int(min(bodyEnd-body, 32)))
			if len(b) >= 20 && b[0] == 0 {
				if ts := binary.BigEndian.Uint32(b[12:]); ts > 0 {
					p.mdhd = float64(binary.BigEndian.Uint32(b[16:])) / float64(ts)
				}
			} else if len(b) >= 32 && b[0] == 1 {
				if ts := binary.BigEndian.Uint32(b[20:]); ts > 0 {
					p.mdhd = float64(binary.BigEndian.Uint64(b[24:])) / float64(ts)
				}
			}
		case "hdlr":
			if b := readAt(p.r, body, 12); b != nil {
				p.handler = string(b[8:12])
			}
		case "stts":
			if b := readAt(p.r, body, 8); b != nil {
				n := int64(binary.BigEndian.Uint32(b[4:]))
				if n > 0 && n <= 1<<16 && 8+n*8 <= bodyEnd-body {
					if e := readAt(p.r, body+8, int(n*8)); e != nil {
						var total int64
						for i := int64(0); i < n; i++ {
							total += int64(binary.BigEndian.Uint32(e[i*8:]))
						}
						p.stts = total
					}
				}
			}
		}
		off += size
	}
}

// EBML (Matroska/WebM) element ids used below.
const (
	ebmlSegment    = 0x18538067
	ebmlInfo       = 0x1549A966
	ebmlTimescale  = 0x2AD7B1
	ebmlDuration   = 0x4489
	ebmlTracks     = 0x1654AE6B
	ebmlTrackEntry = 0xAE
	ebmlTrackType  = 0x83
	ebmlVideo      = 0xE0
	ebmlPixelW     = 0xB0
	ebmlPixelH     = 0xBA
	ebmlCluster    = 0x1F43B675
)

// vint reads an EBML variable-length integer at off; keepMarker keeps the
// length marker bit (element ids do). It returns value, length, ok.
func vint(r io.ReaderAt, off int64, keepMarker bool) (uint64, int, bool) {
	first := readAt(r, off, 1)
	if first == nil || first[0] == 0 {
		return 0, 0, false
	}
	n := 1
	for mask := byte(0x80); first[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 {
		return 0, 0, false
	}
	b := readAt(r, off, n)
	if b == nil {
		return 0, 0, false
	}
	v := uint64(b[0])
	if !keepMarker {
		v &= uint64(0xFF >> n)
	}
	allOnes := v == uint64(0xFF>>n)
	for _, c := range b[1:] {
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xFF
	}
	if !keepMarker && allOnes {
		return math.MaxUint64, n, true // unknown size
	}
	return v, n, true
}

func probeEBML(r io.ReaderAt, size int64, av *AV) {
	scale := 1000000.0
	var rawDuration float64
	count := 0
	var walk func(start, end int64, depth int)
	walk = func(start, end int64, depth int) {
		var trackType uint64
		var w, h int
		for off := start; off < end && depth < 6; {
			count++
			if count > 20000 {
				return
			}
			id, idLen, ok := vint(r, off, true)
			if !ok {
				return
			}
			sz, szLen, ok := vint(r, off+int64(idLen), false)
			if !ok {
				return
			}
			body := off + int64(idLen+szLen)
			bodyEnd := end
			if sz != math.MaxUint64 && sz <= uint64(end-body) {
				bodyEnd = body + int64(sz)
			} else if sz != math.MaxUint64 {
				return
			}
			switch id {
			case ebmlSegment, ebmlInfo, ebmlTracks, ebmlVideo:
				walk(body, bodyEnd, depth+1)
			case ebmlTrackEntry:
				walk(body, bodyEnd, depth+1)
			case ebmlCluster:
				return // media data follows: the header elements are done
			case ebmlTimescale:
				if v, ok := ebmlUint(r, body, bodyEnd); ok && v > 0 {
					scale = float64(v)
				}
			case ebmlDuration:
				if b := readAt(r, body, int(bodyEnd-body)); b != nil {
					switch len(b) {
					case 4:
						rawDuration = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
					case 8:
						rawDuration = math.Float64frombits(binary.BigEndian.Uint64(b))
					}
				}
			case ebmlTrackType:
				trackType, _ = ebmlUint(r, body, bodyEnd)
			case ebmlPixelW:
				if v, ok := ebmlUint(r, body, bodyEnd); ok && av.Width == 0 {
					w = int(v)
					av.Width = w
				}
			case ebmlPixelH:
				if v, ok := ebmlUint(r, body, bodyEnd); ok && av.Height == 0 {
					h = int(v)
					av.Height = h
				}
			}
			if sz == math.MaxUint64 {
				return
			}
			off = bodyEnd
		}
		_ = trackType
	}
	walk(0, size, 0)
	if rawDuration > 0 && !math.IsInf(rawDuration, 0) && !math.IsNaN(rawDuration) {
		av.Duration = rawDuration * scale / 1e9
	}
}

func ebmlUint(r io.ReaderAt, body, end int64) (uint64, bool) {
	n := end - body
	if n < 1 || n > 8 {
		return 0, false
	}
	b := readAt(r, body, int(n))
	if b == nil {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, true
}

func probeWAV(r io.ReaderAt, size int64, av *AV) {
	var byteRate uint32
	for off, n := int64(12), 0; off+8 <= size && n < 64; n++ {
		h := readAt(r, off, 8)
		if h == nil {
			return
		}
		sz := int64(binary.LittleEndian.Uint32(h[4:]))
		switch string(h[:4]) {
		case "fmt ":
			if b := readAt(r, off+8, 16); b != nil {
				byteRate = binary.LittleEndian.Uint32(b[8:])
			}
		case "data":
			if byteRate > 0 {
				av.Duration = float64(min(sz, size-off-8)) / float64(byteRate)
			}
			return
		}
		off += 8 + sz + sz%2
	}
}

func probeFLAC(r io.ReaderAt, av *AV) {
	// fLaC, then the STREAMINFO block (always first): 4-byte header, then
	// min/max block (4), min/max frame (6), then 20 bits rate, 3 channels,
	// 5 bits per sample, 36 bits total samples.
	b := readAt(r, 4, 4+18)
	if b == nil || b[0]&0x7F != 0 {
		return
	}
	s := b[4:]
	rate := uint32(s[10])<<12 | uint32(s[11])<<4 | uint32(s[12])>>4
	total := uint64(s[13]&0x0F)<<32 | uint64(binary.BigEndian.Uint32(s[14:18]))
	if rate > 0 {
		av.Duration = float64(total) / float64(rate)
	}
}
