package server

import "context"

// mountFederation attaches the ActivityPub engine (see activitypub/).
func (s *Server) mountFederation(ctx context.Context) error {
	return nil
}
