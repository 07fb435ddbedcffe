package server

import (
	"context"

	"github.com/herald-social/herald/activitypub"
)

// mountFederation attaches the ActivityPub engine: its routes, the hooks
// the domain layer and the web UI call, and its jobs.
func (s *Server) mountFederation(ctx context.Context) error {
	fed := activitypub.New(s.Svc, s.Cfg, s.Log)
	fed.Register(s.Echo)
	s.Svc.Resolver = fed
	s.Fed = fed
	fed.Prepare(ctx)
	fed.RegisterJobs(s.Jobs)
	return nil
}
