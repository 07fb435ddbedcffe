package testutil

import (
	"bytes"
	"encoding/binary"
)

// WAV is a silent mono 8-bit WAV of the given seconds at 8 kHz: an audio
// upload, whose processing is a job when it comes through /api/v2/media.
func WAV(seconds int) []byte {
	data := make([]byte, 8000*seconds)
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))    // PCM
	le(uint16(1))    // mono
	le(uint32(8000)) // samples per second
	le(uint32(8000)) // bytes per second
	le(uint16(1))    // block align
	le(uint16(8))    // bits per sample
	b.WriteString("data")
	le(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}
