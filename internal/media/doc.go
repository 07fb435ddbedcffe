// Package media is Herald's media processing, free of I/O policy: it sniffs
// a file's type from its content, decodes images within byte and pixel
// limits, applies the EXIF orientation, re-encodes (which drops every EXIF,
// XMP and comment block), makes the preview and the blurhash, reads what
// metadata video and audio files give without transcoding, and stores files
// behind the FileStore interface. It knows nothing of accounts, statuses or
// HTTP; internal/core decides what is allowed and where files go.
package media

import "errors"

// Errors of processing; internal/core answers all of them with 422.
var (
	// ErrUnsupported: the content is none of the accepted types (SVG, HTML,
	// PDF, animated WebP, ...), whatever the file name or declared type said.
	ErrUnsupported = errors.New("media: unsupported file type")
	// ErrTooLarge: the file exceeds its byte limit.
	ErrTooLarge = errors.New("media: file too large")
	// ErrTooManyPixels: the image's dimensions exceed the pixel limit (a
	// decompression bomb, or just too big).
	ErrTooManyPixels = errors.New("media: image dimensions too large")
	// ErrCorrupt: the file is truncated or malformed.
	ErrCorrupt = errors.New("media: file is truncated or malformed")
	// ErrOverBudget: processing the image would take more memory than the
	// whole decode budget (see Budget).
	ErrOverBudget = errors.New("media: image needs more memory than the decode budget")
)
