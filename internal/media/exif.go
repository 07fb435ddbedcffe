package media

import "encoding/binary"

// jpegOrientation returns the EXIF orientation (1-8) of a JPEG, 1 when it
// has none. It reads only IFD0 of the first Exif APP1 segment; every
// offset is checked against the segment, so malformed input costs nothing
// but the walk.
func jpegOrientation(b []byte) int {
	o := 1
	jpegSegments(b, func(marker byte, data []byte) bool {
		if marker == 0xE1 && len(data) >= 6 && string(data[:6]) == "Exif\x00\x00" {
			o = tiffOrientation(data[6:])
			return false
		}
		return true
	})
	return o
}

// jpegSegments calls visit with the marker and payload of each segment of
// a JPEG before its first scan, at most maxSegments of them, until visit
// returns false or the data is malformed.
func jpegSegments(b []byte, visit func(marker byte, data []byte) bool) {
	const maxSegments = 256
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return
	}
	i := 2
	for seg := 0; seg < maxSegments; seg++ {
		// Skip fill bytes before a marker.
		for i < len(b) && b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0xFF {
			i++
		}
		if i+4 > len(b) || b[i] != 0xFF {
			return
		}
		marker := b[i+1]
		i += 2
		switch {
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			continue // no length
		case marker == 0xDA || marker == 0xD9:
			return // start of scan / end of image
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return
		}
		data := b[i+2 : i+n]
		i += n
		if !visit(marker, data) {
			return
		}
	}
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	p := off + 2
	for k := 0; k < count && k < 512; k++ {
		if p+12 > int64(len(t)) {
			return 1
		}
		tag, typ := bo.Uint16(t[p:]), bo.Uint16(t[p+2:])
		if tag == 0x0112 && typ == 3 { // SHORT
			v := int(bo.Uint16(t[p+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
		p += 12
	}
	return 1
}
