package media

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/sync/semaphore"
)

// Budget bounds the memory that image processing holds at once. Every
// decode (uploads, remote attachments, avatars and headers, emoji, link
// preview images) goes through ProcessImage of the one Budget of the
// process, which charges the image's cost (computed from its header,
// before any pixel is decoded: see imagePlan.memory) and waits while the
// budget is spent. An image that costs more than the whole budget is
// refused with ErrOverBudget rather than waiting forever.
//
// Without it, N concurrent requests decode N images at once: 16 uploads of
// a 116 KB PNG of 6300×6300 pixels took 3.7 GB.
type Budget struct {
	sem  *semaphore.Weighted
	size int64

	mu         sync.Mutex
	held, peak int64
	images     int64
}

// collectAbove: releasing a charge this large runs the garbage collector.
const collectAbove = 32 << 20

// NewBudget makes a budget of size bytes.
func NewBudget(size int64) *Budget {
	return &Budget{sem: semaphore.NewWeighted(size), size: size}
}

// Size is the whole budget, in bytes.
func (b *Budget) Size() int64 { return b.size }

// Peak is the most the budget has had charged at once, in bytes.
func (b *Budget) Peak() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// Images is how many images have been charged.
func (b *Budget) Images() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.images
}

// acquire charges n bytes, waiting (in order of arrival) until they are
// free or ctx ends; it returns the function that gives them back.
func (b *Budget) acquire(ctx context.Context, n int64) (func(), error) {
	if n > b.size {
		return nil, ErrOverBudget
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.held += n
	b.peak = max(b.peak, b.held)
	b.images++
	b.mu.Unlock()
	return func() {
		if n >= collectAbove {
			// The image's buffers are garbage now, but the collector
			// would take them back only once the heap has grown by as
			// much again (GOGC): the next image would be decoded beside
			// them, and the process would hold twice the budget. A
			// collection here (milliseconds: pixel buffers hold no
			// pointers to scan) frees them before the next image starts.
			runtime.GC()
		}
		b.mu.Lock()
		b.held -= n
		b.mu.Unlock()
		b.sem.Release(n)
	}, nil
}

// ProcessImage checks, decodes and re-encodes an image as o says, within
// the budget: it waits for the memory the image needs (or until ctx ends)
// and holds it until the image is encoded.
func (b *Budget) ProcessImage(ctx context.Context, data []byte, o ImageOptions) (*Image, error) {
	p, err := planImage(data, o)
	if err != nil {
		return nil, err
	}
	release, err := b.acquire(ctx, p.memory())
	if err != nil {
		return nil, err
	}
	defer release()
	return p.run()
}
