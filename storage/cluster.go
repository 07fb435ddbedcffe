package storage

// RateCount is a rate-limit key's count in the window that starts at
// Start (Unix ms), shared by the processes serving one instance.
type RateCount struct {
	Key   string
	Start int64
	N     int64
}
