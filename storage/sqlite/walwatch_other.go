//go:build !unix

package sqlite

import "context"

// walWatch is not available here: every look asks the database.
type walWatch struct{}

type walHeader [12]uint32

func newWalWatch(string) *walWatch                                { return &walWatch{} }
func (w *walWatch) header(context.Context) (h walHeader, ok bool) { return h, false }
func (w *walWatch) close()                                        {}
func (w *walWatch) hold(bool)                                     {}
