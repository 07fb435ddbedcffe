//go:build unix

package sqlite

import (
	"context"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/herald-social/herald/storage"
)

// walWatch tells, without a query, whether any transaction committed since
// an earlier look: it maps the first page of the database's -shm file (the
// WAL index, shared by every connection of every process on the file) and
// reads the index header, whose change counter, last frame and salts move
// with each commit and each restart of the WAL. A read transaction costs
// file-lock system calls; this costs a stat and 48 bytes of memory.
//
// The -shm file can be replaced when every connection to the database
// closed; the inode is compared so that a stale mapping is never trusted:
// at each look, or once per request when the context carries a request
// scope (storage.Scope: the stat cost more than the rest of a
// verify_credentials' cache checks together).
//
// While the store holds a connection of its own open on the file (hold),
// the -shm file cannot be replaced or reset: SQLite does that only for the
// first connection to open the file, or the last to close it, and the held
// connection keeps the index's dead-man-switch lock. A mapping made while
// held is then trusted without the stat.
type walWatch struct {
	path string
	mu   sync.Mutex
	m    atomic.Pointer[walMap]
	held atomic.Bool
}

type walMap struct {
	mem      []byte
	dev, ino uint64
	held     bool // mapped while a held connection kept the file: never replaced
}

// walHeader is the first copy of the WAL-index header (wal.c: WalIndexHdr).
type walHeader [12]uint32

func newWalWatch(dbPath string) *walWatch { return &walWatch{path: dbPath + "-shm"} }

// header reads the WAL-index header; ok false when it cannot be trusted
// (no -shm file yet, not mapped, or replaced): the caller then asks the
// database. Within a request scope whose look already checked the file,
// the mapping it checked is read without another stat.
func (w *walWatch) header(ctx context.Context) (h walHeader, ok bool) {
	sc := storage.ScopeOf(ctx)
	if sc != nil {
		if m, _ := sc.Memo().(*walMap); m != nil && m == w.m.Load() {
			return readHeader(m.mem)
		}
	}
	if m := w.m.Load(); m != nil && m.held && w.held.Load() {
		return readHeader(m.mem)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(w.path, &st); err != nil {
		return h, false
	}
	m := w.m.Load()
	if m == nil || m.dev != uint64(st.Dev) || m.ino != uint64(st.Ino) {
		if m = w.remap(); m == nil {
			return h, false
		}
	}
	if st.Size < int64(len(h)*4) || len(m.mem) < len(h)*4 {
		return h, false
	}
	if sc != nil {
		sc.SetMemo(m)
	}
	return readHeader(m.mem)
}

// readHeader copies the header word by word, atomically: a writer may be
// updating it, and a torn read only makes it look changed. A file cut
// short under the mapping after the stat (only when no connection of this
// process holds the database, so that SQLite reset the index) faults: the
// fault becomes a panic here, and the header is not trusted.
func readHeader(mem []byte) (h walHeader, ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			h, ok = walHeader{}, false
		}
	}()
	for i := range h {
		h[i] = atomic.LoadUint32((*uint32)(unsafe.Pointer(&mem[i*4])))
	}
	// isInit (byte 12) is 1 once a connection built the index.
	return h, mem[12] != 0
}

// remap maps the current -shm file, unmapping a replaced one.
func (w *walWatch) remap() *walMap {
	held := w.held.Load() // before the stat: the file seen is the held one
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := os.Open(w.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil || st.Size < 48 {
		return nil
	}
	if old := w.m.Load(); old != nil && old.dev == uint64(st.Dev) && old.ino == uint64(st.Ino) && old.held == held {
		return old
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 48, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	m := &walMap{mem: mem, dev: uint64(st.Dev), ino: uint64(st.Ino), held: held}
	// The old mapping stays: a concurrent reader may hold it. It is one page,
	// and a replacement happens only when every connection closed.
	w.m.Store(m)
	return m
}

// hold tells whether a connection of the store keeps the file open (see
// walWatch); it is set once the connection read, and cleared before it closes.
func (w *walWatch) hold(on bool) { w.held.Store(on) }

// close unmaps the file; no look may run concurrently.
func (w *walWatch) close() {
	w.held.Store(false)
	if m := w.m.Swap(nil); m != nil {
		_ = syscall.Munmap(m.mem)
	}
}
