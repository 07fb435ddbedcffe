package server

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strconv"
	"syscall"
)

// releaseStartupPages unmaps the pages of this process's own executable
// that are read-only (code, constant data, Go's function tables) and
// returns how many bytes of mappings it released.
//
// Why: starting up runs the initialisers of every linked package, and the
// first pass of every job kind, all over the executable, and the kernel
// maps 64 KiB around each page touched (fault-around); so most of the
// executable stays mapped although serving uses a small part of it. The
// pages stay in the page cache: what serving uses comes back at its next
// use with a minor fault, and the rest becomes clean cache that the kernel
// can reclaim when memory is short (mapped code is kept in preference).
//
// Only mappings with no anonymous (copied-on-write) page are released:
// their contents always come back from the file unchanged. A mapping that
// was ever written (relocations made read-only afterwards) is left alone.
func releaseStartupPages() (released int64) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0
	}
	spans, err := releasableSpans(f, exe)
	f.Close()
	if err != nil {
		return 0 // a partial reading may have missed a mapping's Anonymous line
	}
	for _, s := range spans {
		// By address: these are the executable's own mappings, not Go memory.
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, s.start, s.end-s.start, syscall.MADV_DONTNEED); errno == 0 {
			released += int64(s.end - s.start)
		}
	}
	return released
}

// span is a mapping's address range.
type span struct{ start, end uintptr }

// releasableSpans reads smaps and returns the read-only private mappings
// of the file exe that hold no anonymous page.
func releasableSpans(smaps io.Reader, exe string) ([]span, error) {
	var (
		spans []span
		open  bool // the last span is the mapping being read
	)
	sc := bufio.NewScanner(smaps)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) == 0 {
			continue
		}
		if name := fields[0]; name[len(name)-1] == ':' { // a mapping's detail
			if open && string(name) == "Anonymous:" && (len(fields) < 2 || string(fields[1]) != "0") {
				open = false
				spans = spans[:len(spans)-1]
			}
			continue
		}
		// A mapping: start-end perms offset dev inode [path]
		open = false
		if len(fields) < 6 || string(fields[5]) != exe {
			continue
		}
		if perms := string(fields[1]); perms != "r-xp" && perms != "r--p" {
			continue
		}
		start, end, ok := parseRange(fields[0])
		if !ok {
			continue
		}
		spans = append(spans, span{start, end})
		open = true
	}
	return spans, sc.Err()
}

// parseRange reads smaps' "start-end" (hexadecimal addresses).
func parseRange(b []byte) (start, end uintptr, ok bool) {
	dash := bytes.IndexByte(b, '-')
	if dash < 0 {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(string(b[:dash]), 16, 64)
	e, err2 := strconv.ParseUint(string(b[dash+1:]), 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}
