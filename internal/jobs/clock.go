package jobs

import "time"

// UseClock makes the runner read now for what is due (core's clock, which
// tests move to reach a poll's end or a scheduled post's time), unless it
// was made with a clock of its own (Options.Now). Call it before Run.
func (r *Runner) UseClock(now func() time.Time) {
	if now != nil && !r.givenClock {
		r.opts.Now = now
	}
}
