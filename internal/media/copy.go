package media

import (
	"context"
	"fmt"
)

// Walker is a FileStore that can list its files (LocalStore, S3Store).
type Walker interface {
	FileStore
	Walk(ctx context.Context, fn func(key string, size int64) error) error
}

// CopyReport says what Copy did.
type CopyReport struct {
	Source  int   // files in the source
	Copied  int   // copied now
	Present int   // already in the destination with the same size
	Bytes   int64 // bytes copied
	// Missing lists source keys the destination lacks after the copy (the
	// check by listing both); empty when the copy is complete.
	Missing []string
}

// Copy copies every file of from that to lacks (or holds with another
// size) into to, then lists to again and reports the source keys still
// missing there. Files are only added: a file written to from during the
// copy may be missed, and running Copy again copies what is left.
func Copy(ctx context.Context, from, to Walker, progress func(key string)) (CopyReport, error) {
	var r CopyReport
	have, err := sizes(ctx, to)
	if err != nil {
		return r, err
	}
	var keys []string
	err = from.Walk(ctx, func(key string, size int64) error {
		r.Source++
		keys = append(keys, key)
		if s, ok := have[key]; ok && s == size {
			r.Present++
			return nil
		}
		f, err := from.Open(ctx, key)
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		n, err := to.Put(ctx, key, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		if n != size {
			return fmt.Errorf("write %s: %d bytes written, the source has %d", key, n, size)
		}
		r.Copied++
		r.Bytes += n
		if progress != nil {
			progress(key)
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if have, err = sizes(ctx, to); err != nil {
		return r, err
	}
	for _, k := range keys {
		if _, ok := have[k]; !ok {
			r.Missing = append(r.Missing, k)
		}
	}
	return r, nil
}

func sizes(ctx context.Context, w Walker) (map[string]int64, error) {
	m := map[string]int64{}
	err := w.Walk(ctx, func(key string, size int64) error {
		m[key] = size
		return nil
	})
	return m, err
}
