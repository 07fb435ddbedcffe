//go:build !linux

package server

// releaseStartupPages is Linux's (startpages_linux.go); elsewhere the
// executable's pages stay as the system maps them.
func releaseStartupPages() int64 { return 0 }
