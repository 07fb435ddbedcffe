package server

import (
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/push"
)

// mountRealtime wires streaming and Web Push: core's change hints go to the
// streaming dispatcher, which runs as a worker, and a new notification
// wakes the job runtime's push kind (its jobs were queued with the
// notification). Core's announcements of ended credentials close their
// streams.
func (s *Server) mountRealtime() {
	pusher := push.New(s.Svc, s.Log, s.API.RenderPush)
	pusher.RegisterJobs(s.Jobs)
	s.Pusher = pusher
	s.Svc.Notify = func(kind core.ChangeKind, accountID, objectID int64) {
		if kind.Cached() {
			return // the caches dropped themselves; nothing to stream
		}
		s.API.Notify(kind, accountID, objectID)
		if kind == core.ChangeNotification {
			s.Jobs.Wake(push.JobKind)
		}
	}
	s.Svc.Revoked = s.API.EndStreams
	s.AddWorker(s.API.RunRealtime)
}
