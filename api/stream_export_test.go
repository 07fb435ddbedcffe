package api

import "time"

// SetNotificationTailing shortens the notification tailer's window and
// poll for a test (set before the server starts); it returns the restore.
func SetNotificationTailing(lookback, poll time.Duration) func() {
	l, p := notificationLookback, notificationPoll
	notificationLookback, notificationPoll = lookback, poll
	return func() { notificationLookback, notificationPoll = l, p }
}
