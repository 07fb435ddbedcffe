package jobs

import "time"

// UseClock makes the runner read now for what is due (core's clock, which
// tests move to reach a poll's end or a scheduled post's time). Call it
// before Run.
func (r *Runner) UseClock(now func() time.Time) {
	if now != nil {
		r.opts.Now = now
	}
}
