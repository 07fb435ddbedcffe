package media

import (
	"bytes"
	"strings"
)

// Type is what a file is, decided from its first bytes.
type Type struct {
	MIME string // e.g. image/jpeg
	Ext  string // file extension Herald stores it under, e.g. ".jpg"
	Kind string // "image", "video" or "audio" (Mastodon's attachment types)
}

// Known types.
var (
	JPEG = Type{"image/jpeg", ".jpg", "image"}
	PNG  = Type{"image/png", ".png", "image"}
	GIF  = Type{"image/gif", ".gif", "image"}
	WebP = Type{"image/webp", ".webp", "image"}
	MP4  = Type{"video/mp4", ".mp4", "video"}
	MOV  = Type{"video/quicktime", ".mov", "video"}
	WebM = Type{"video/webm", ".webm", "video"}
	M4A  = Type{"audio/mp4", ".m4a", "audio"}
	MP3  = Type{"audio/mpeg", ".mp3", "audio"}
	AAC  = Type{"audio/aac", ".aac", "audio"}
	OGG  = Type{"audio/ogg", ".ogg", "audio"}
	FLAC = Type{"audio/flac", ".flac", "audio"}
	WAV  = Type{"audio/wav", ".wav", "audio"}
)

// byExt maps the extensions above back to their types (for serving).
var byExt = map[string]Type{}

func init() {
	for _, t := range []Type{JPEG, PNG, GIF, WebP, MP4, MOV, WebM, M4A, MP3, AAC, OGG, FLAC, WAV} {
		byExt[t.Ext] = t
	}
}

// TypeByExt returns the type Herald stored under an extension.
func TypeByExt(ext string) (Type, bool) {
	t, ok := byExt[strings.ToLower(ext)]
	return t, ok
}

// SniffLen is how many leading bytes Sniff looks at.
const SniffLen = 64

// Sniff decides a file's type from its leading bytes (at least SniffLen
// when the file is that long). The declared type and the file name are
// never consulted: a PNG named photo.jpg is a PNG, an HTML page named
// photo.jpg is refused. SVG is refused outright (it can carry scripts).
func Sniff(head []byte) (Type, error) {
	b := head
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG, nil
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF, nil
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP, nil
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return WAV, nil
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "M4A ", "M4B ", "M4P ", "F4A ":
			return M4A, nil
		case "qt  ":
			return MOV, nil
		case "avif", "avis", "heic", "heix", "heim", "heis", "mif1", "msf1", "crx ":
			return Type{}, ErrUnsupported // still images in an ISO container
		}
		return MP4, nil
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return WebM, nil
	case bytes.HasPrefix(b, []byte("OggS")):
		return OGG, nil
	case bytes.HasPrefix(b, []byte("fLaC")):
		return FLAC, nil
	case bytes.HasPrefix(b, []byte("ID3")):
		return MP3, nil
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xF6 == 0xF0:
		return AAC, nil // ADTS
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x06 != 0:
		return MP3, nil // MPEG audio frame sync, layer I-III
	}
	return Type{}, ErrUnsupported
}
