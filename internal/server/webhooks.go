package server

import "github.com/herald-social/herald/internal/webhook"

// mountWebhooks registers the admin webhooks' deliveries on the job
// runtime: core queues them when an event happens and wakes the kind; the
// client API renders what they send (Mastodon's JSON).
func (s *Server) mountWebhooks() {
	w := webhook.New(s.Svc, s.Log, s.API.RenderWebhook)
	w.RegisterJobs(s.Jobs)
	s.Webhooks = w
}
