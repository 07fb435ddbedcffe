package core

import "context"

// PublishScheduledNow runs the publish job of a scheduled post (tests of
// what a job run twice does).
func (s *Service) PublishScheduledNow(ctx context.Context, id int64) error {
	return s.publishScheduled(ctx, id)
}
