package sqlite

import (
	"fmt"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite's per-connection mutex, made free.
//
// The driver opens every connection in SQLite's "serialized" mode
// (SQLITE_OPEN_FULLMUTEX, not configurable), so every SQLite call takes
// and releases the connection's recursive mutex: two for each column of
// each row read. In the transpiled library each of those is a Go mutex
// behind a table lookup, and they were 15 % of a timeline page's CPU.
// That mutex only guards a connection against use by two threads at once,
// which database/sql never does: a connection is handed to one goroutine
// at a time (the driver's one cross-goroutine call, sqlite3_interrupt,
// takes no mutex). So the recursive mutexes are replaced by a no-op, which
// is SQLite's documented "multi-thread" mode; every other mutex (the page
// cache, the VFS's file locks, the library's static mutexes) stays SQLite's
// own. SQLite allocates recursive mutexes for connections, for its own
// start (which this file runs once, before anything else can) and for the
// RBU extension (which Herald does not use).
//
// It must be configured before SQLite starts: in this package's init, so
// before any connection of the process is opened.
func init() {
	if err := freeConnectionMutexes(); err != nil {
		panic(err)
	}
}

// sqliteMutexes is SQLite's own mutex implementation, called for every
// mutex but the connections'.
var sqliteMutexes sqlite3.Sqlite3_mutex_methods

// connMutex is what every connection's mutex is: an address that is no
// mutex (SQLite only compares it with 0).
var connMutexByte byte

func connMutex() uintptr { return uintptr(unsafe.Pointer(&connMutexByte)) }

func freeConnectionMutexes() error {
	tls := libc.NewTLS()
	defer tls.Close()
	// SQLite fills its default implementation in when it starts: start it,
	// stop it, and read that implementation back.
	if rc := sqlite3.Xsqlite3_initialize(tls); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: initialize: %d", rc)
	}
	if rc := sqlite3.Xsqlite3_shutdown(tls); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: shutdown: %d", rc)
	}
	if err := configure(tls, sqlite3.SQLITE_CONFIG_GETMUTEX, &sqliteMutexes); err != nil {
		return err
	}
	if sqliteMutexes.FxMutexAlloc == 0 {
		return fmt.Errorf("sqlite: no mutex implementation to wrap")
	}
	ours := sqliteMutexes
	ours.FxMutexAlloc = cFunc(mutexAlloc)
	ours.FxMutexFree = cFunc(mutexFree)
	ours.FxMutexEnter = cFunc(mutexEnter)
	ours.FxMutexTry = cFunc(mutexTry)
	ours.FxMutexLeave = cFunc(mutexLeave)
	ours.FxMutexHeld = cFunc(mutexHeld)
	ours.FxMutexNotheld = cFunc(mutexNotheld)
	if err := configure(tls, sqlite3.SQLITE_CONFIG_MUTEX, &ours); err != nil {
		return err
	}
	// SQLite's start is guarded by a recursive mutex too (against two
	// threads starting it at once): start it here, where no other
	// goroutine can, so that no later call starts it again.
	if rc := sqlite3.Xsqlite3_initialize(tls); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: initialize: %d", rc)
	}
	return nil
}

// configure calls sqlite3_config(op, m) through a copy of *m in C memory
// (SQLite copies it in, or fills it in, at once).
func configure(tls *libc.TLS, op int32, m *sqlite3.Sqlite3_mutex_methods) error {
	size := unsafe.Sizeof(*m)
	p := libc.Xmalloc(tls, types.Size_t(size))
	if p == 0 {
		return fmt.Errorf("sqlite: config %d: out of memory", op)
	}
	defer libc.Xfree(tls, p)
	// p is C memory (the library's allocator), which Go's GC ignores.
	c := *(**sqlite3.Sqlite3_mutex_methods)(unsafe.Pointer(&p))
	*c = *m
	va := libc.NewVaList(p)
	if va == 0 {
		return fmt.Errorf("sqlite: config %d: out of memory", op)
	}
	defer libc.Xfree(tls, va)
	if rc := sqlite3.Xsqlite3_config(tls, op, va); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: config %d: %d", op, rc)
	}
	*m = *c
	return nil
}

// cFunc turns a Go function into a C function pointer of the transpiled
// library: the address of the function value (static for a top-level
// function, so it never moves).
func cFunc[F any](f F) uintptr { return *(*uintptr)(unsafe.Pointer(&f)) }

// goFunc is cFunc's inverse, for calling SQLite's own implementation.
func goFunc[F any](p uintptr) F { return *(*F)(unsafe.Pointer(&p)) }

func mutexAlloc(tls *libc.TLS, kind int32) uintptr {
	if kind == sqlite3.SQLITE_MUTEX_RECURSIVE {
		return connMutex()
	}
	return goFunc[func(*libc.TLS, int32) uintptr](sqliteMutexes.FxMutexAlloc)(tls, kind)
}

func mutexFree(tls *libc.TLS, m uintptr) {
	if m != connMutex() {
		goFunc[func(*libc.TLS, uintptr)](sqliteMutexes.FxMutexFree)(tls, m)
	}
}

func mutexEnter(tls *libc.TLS, m uintptr) {
	if m != connMutex() {
		goFunc[func(*libc.TLS, uintptr)](sqliteMutexes.FxMutexEnter)(tls, m)
	}
}

func mutexTry(tls *libc.TLS, m uintptr) int32 {
	if m == connMutex() {
		return sqlite3.SQLITE_OK
	}
	return goFunc[func(*libc.TLS, uintptr) int32](sqliteMutexes.FxMutexTry)(tls, m)
}

func mutexLeave(tls *libc.TLS, m uintptr) {
	if m != connMutex() {
		goFunc[func(*libc.TLS, uintptr)](sqliteMutexes.FxMutexLeave)(tls, m)
	}
}

// Held and not-held serve SQLite's assertions only (off in this build);
// like SQLite's no-op mutexes, they answer true.
func mutexHeld(tls *libc.TLS, m uintptr) int32    { return 1 }
func mutexNotheld(tls *libc.TLS, m uintptr) int32 { return 1 }
