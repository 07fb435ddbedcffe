package server

import (
	"context"
	"io"
	"net/http"

	"github.com/herald-social/herald/activitypub"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/labstack/echo/v4"
)

// mountFederation attaches the ActivityPub engine: its routes, the hooks
// the domain layer and the web UI call, and its jobs.
func (s *Server) mountFederation(ctx context.Context) error {
	fed := activitypub.New(s.Svc, s.Cfg, s.Log)
	fed.Register(s.Echo)
	s.Svc.Resolver = resolverOf(fed)
	s.Fed = fed
	fed.Prepare(ctx)
	fed.RegisterJobs(s.Jobs)
	return nil
}

// The engine is handed to core and to the web UI as the interfaces they
// declare, through the adapters below, which hold its methods as function
// values rather than the engine itself. The engine holds *core.Service,
// whose areas embed one another (thousands of promoted method wrappers);
// once a value whose type reaches them is stored in an interface, the
// linker must keep every exported one of them, since text/template looks
// methods up by name (about 3 MB of the binary and of its start-up pages).

// resolver is core.Resolver over the engine's methods.
type resolver struct {
	account func(ctx context.Context, query string) (*model.Account, error)
	status  func(ctx context.Context, uri string) (*model.Status, error)
	aliases func(ctx context.Context, actorURI string) ([]string, error)
}

func resolverOf(fed *activitypub.Federation) core.Resolver {
	return &resolver{account: fed.ResolveAccount, status: fed.ResolveStatus, aliases: fed.ActorAliases}
}

func (r *resolver) ResolveAccount(ctx context.Context, query string) (*model.Account, error) {
	return r.account(ctx, query)
}

func (r *resolver) ResolveStatus(ctx context.Context, uri string) (*model.Status, error) {
	return r.status(ctx, uri)
}

func (r *resolver) ActorAliases(ctx context.Context, actorURI string) ([]string, error) {
	return r.aliases(ctx, actorURI)
}

// uiFederation is webui.Federation over the engine's methods.
type uiFederation struct {
	wantsJSON   func(r *http.Request) bool
	actor       func(c echo.Context, username string) error
	status      func(c echo.Context, username, statusID string) error
	outbox      func(ctx context.Context, w io.Writer, e *core.RecordsExport) error
	records     func(ctx context.Context, w io.Writer, e *core.RecordsExport) (*core.RecordsSummary, error)
	subscribeTo func(ctx context.Context, acct string) (string, error)
}

func uiFederationOf(fed *activitypub.Federation) *uiFederation {
	return &uiFederation{
		wantsJSON: fed.WantsActivityJSON, actor: fed.ServeActor, status: fed.ServeStatus,
		outbox: fed.WriteOutbox, records: fed.WriteRecords, subscribeTo: fed.SubscribeTemplate,
	}
}

func (f *uiFederation) WantsActivityJSON(r *http.Request) bool { return f.wantsJSON(r) }

func (f *uiFederation) ServeActor(c echo.Context, username string) error {
	return f.actor(c, username)
}

func (f *uiFederation) ServeStatus(c echo.Context, username, statusID string) error {
	return f.status(c, username, statusID)
}

func (f *uiFederation) WriteOutbox(ctx context.Context, w io.Writer, e *core.RecordsExport) error {
	return f.outbox(ctx, w, e)
}

func (f *uiFederation) WriteRecords(ctx context.Context, w io.Writer, e *core.RecordsExport) (*core.RecordsSummary, error) {
	return f.records(ctx, w, e)
}

func (f *uiFederation) SubscribeTemplate(ctx context.Context, acct string) (string, error) {
	return f.subscribeTo(ctx, acct)
}
