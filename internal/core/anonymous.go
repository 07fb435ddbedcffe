package core

import "context"

// Who may read the instance's content without signing in. One rule for
// every surface: the client API's content routes and the web UI's pages
// consult it (ActivityPub fetches are governed by authorized fetch).

// LimitedFederation reports allow-list (limited federation) mode: the
// configuration's allowlist_mode or the admins' run-time setting. It is
// served from the domain policy cache, so it is cheap per request.
func (s *Service) LimitedFederation(ctx context.Context) (bool, error) {
	r, err := s.loadPolicyRules(ctx)
	if err != nil {
		return true, err
	}
	return r.allowlist, nil
}

// AnonymousReadsAllowed reports whether statuses, accounts, timelines and
// search may be served to callers who are not signed in. A closed instance
// (public_pages off) or one in limited federation mode shows its content
// only to its users, as Mastodon requires an authenticated user in
// limited federation mode. Instance information, rules and custom emojis
// stay public: clients need them before signing in.
//
// It fails closed: when the run-time settings cannot be read, anonymous
// callers are refused.
func (s *Service) AnonymousReadsAllowed(ctx context.Context) bool {
	if !s.Cfg.Instance.PublicPages {
		return false
	}
	limited, err := s.LimitedFederation(ctx)
	if err != nil {
		s.Log.Error("reading the federation mode; refusing anonymous reads", "err", err)
		return false
	}
	return !limited
}
