package media

import (
	"encoding/binary"
	"hash/crc32"
)

func crc32png(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// insertPNGText adds a tEXt chunk right after IHDR.
func insertPNGText(p []byte, key, value string) []byte {
	data := append([]byte(key+"\x00"), value...)
	chunk := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(chunk, uint32(len(data)))
	copy(chunk[4:], "tEXt")
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, p[:33]...)
	out = append(out, chunk...)
	return append(out, p[33:]...)
}
