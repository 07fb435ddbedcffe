package core

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Web Push (RFC 8030/8291/8292), as Mastodon's /api/v1/push/subscription:
// one subscription per access token, with the notification types to push
// ("alerts") and from whom ("policy"). Pushes are queued in the database
// by the notification itself, as jobs of kind "push" (see the
// notifications_push trigger), and sent by internal/push.

// PushAlertTypes are the alerts a subscription may ask for.
var PushAlertTypes = []string{model.NotifyMention, model.NotifyStatus, model.NotifyReblog, model.NotifyFollow,
	model.NotifyFollowRequest, model.NotifyFavourite, "poll", model.NotifyUpdate, model.NotifyQuote, model.NotifyQuotedUpdate, "admin.sign_up", "admin.report"}

// PushPolicies are the values of policy.
var PushPolicies = []string{"all", "followed", "follower", "none"}

// PushParams is a subscription as POSTed; Alerts and Policy are PUT too.
type PushParams struct {
	Endpoint string
	P256dh   string
	Auth     string
	Alerts   map[string]bool // nil: unchanged (PUT)
	Policy   string          // "": unchanged (PUT) or "all" (POST)
	Standard bool
}

// VAPIDKeys is the instance's application server key pair, base64url
// without padding (the form webpush-go takes).
type VAPIDKeys struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// VAPIDKeys returns the instance's key pair, made on first use.
func (s *NotificationService) VAPIDKeys(ctx context.Context) (VAPIDKeys, error) {
	var k VAPIDKeys
	v, err := s.store.SettingOrCreate(ctx, "vapid_keys", func() (string, error) {
		priv, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(VAPIDKeys{
			Public:  base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()),
			Private: base64.RawURLEncoding.EncodeToString(priv.Bytes()),
		})
		return string(b), err
	})
	if err != nil {
		return k, herr.Internal(err)
	}
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return k, herr.Internal(err)
	}
	return k, nil
}

// decodeKey reads base64 in any of its four spellings.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// adminAlertPermission is the permission an admin alert needs: the one
// that lets its holder act on what it announces.
var adminAlertPermission = map[string]Permission{"admin.sign_up": PermManageUsers, "admin.report": PermManageReports}

func (s *NotificationService) alertsAllowed(ctx context.Context, c *Caller, alerts map[string]bool) ([]string, error) {
	perms, _, err := s.PermissionsOf(ctx, c.User)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range PushAlertTypes {
		if !alerts[t] {
			continue
		}
		if need, ok := adminAlertPermission[t]; ok && (c.User == nil || !perms.Has(need)) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// Subscribe creates the caller's token's subscription, replacing any.
func (s *NotificationService) Subscribe(ctx context.Context, c *Caller, p PushParams) (*storage.PushSubscription, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimSpace(p.Endpoint))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(p.Endpoint) > 2048 {
		return nil, herr.Unprocessable("Validation failed: Endpoint is not a valid URL")
	}
	if u.Scheme == "http" && !s.Cfg.Federation.AllowPrivateAddresses {
		return nil, herr.Unprocessable("Validation failed: Endpoint must use https")
	}
	pub, err := decodeKey(p.P256dh)
	if err == nil {
		_, err = ecdh.P256().NewPublicKey(pub)
	}
	if err != nil {
		return nil, herr.Unprocessable("Validation failed: Key p256dh is not a P-256 public key")
	}
	auth, err := decodeKey(p.Auth)
	if err != nil || len(auth) != 16 {
		return nil, herr.Unprocessable("Validation failed: Key auth must be 16 bytes")
	}
	policy := p.Policy
	if policy == "" {
		policy = "all"
	}
	if !slices.Contains(PushPolicies, policy) {
		return nil, herr.Unprocessable("Validation failed: Policy is not included in the list")
	}
	alerts, err := s.alertsAllowed(ctx, c, p.Alerts)
	if err != nil {
		return nil, err
	}
	sub := &storage.PushSubscription{
		TokenID: c.Token.ID, AccountID: c.Account.ID, Endpoint: u.String(),
		P256dh: base64.RawURLEncoding.EncodeToString(pub), Auth: base64.RawURLEncoding.EncodeToString(auth),
		Alerts: alerts, Policy: policy, Standard: p.Standard,
	}
	if err := s.store.SavePushSubscription(ctx, sub); err != nil {
		return nil, herr.Internal(err)
	}
	return sub, nil
}

// PushSubscription returns the caller's token's subscription.
func (s *NotificationService) PushSubscription(ctx context.Context, c *Caller) (*storage.PushSubscription, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	sub, err := s.store.PushSubscriptionByToken(ctx, c.Token.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("push subscription")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return sub, nil
}

// UpdatePushSubscription changes alerts and policy.
func (s *NotificationService) UpdatePushSubscription(ctx context.Context, c *Caller, p PushParams) (*storage.PushSubscription, error) {
	sub, err := s.PushSubscription(ctx, c)
	if err != nil {
		return nil, err
	}
	if p.Alerts != nil {
		if sub.Alerts, err = s.alertsAllowed(ctx, c, p.Alerts); err != nil {
			return nil, err
		}
	}
	if p.Policy != "" {
		if !slices.Contains(PushPolicies, p.Policy) {
			return nil, herr.Unprocessable("Validation failed: Policy is not included in the list")
		}
		sub.Policy = p.Policy
	}
	if err := s.store.UpdatePushSubscription(ctx, sub); err != nil {
		return nil, herr.Internal(err)
	}
	return sub, nil
}

// Unsubscribe removes the caller's token's subscription (idempotent).
func (s *NotificationService) Unsubscribe(ctx context.Context, c *Caller) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.store.DeletePushSubscription(ctx, c.Token.ID); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// PushNotice is a notification about to be pushed, with what the push
// shows; the surface renders it (api: Mastodon's Web Push JSON).
type PushNotice struct {
	Notification *model.Notification
	From         *model.Account
	// Status is the status the notification is about (the boosted one
	// for a boost); nil when none.
	Status *model.Status
}

// PushJob loads a queued push: its subscription and its notification. It
// answers nil (and no error) when either was removed since the push was
// queued (an unsubscribed token, a dismissed notification): the push is
// not to be sent. Queued pushes do not go with what they refer to, so
// this is how they learn of it.
func (s *NotificationService) PushJob(ctx context.Context, subscriptionID, notificationID int64) (*storage.PushJob, error) {
	job, err := s.store.PushJob(ctx, subscriptionID, notificationID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return job, nil
}

// PushSubscriptionGone removes a subscription its push service no longer
// knows (it answered 404 or 410).
func (s *NotificationService) PushSubscriptionGone(ctx context.Context, subscriptionID int64) error {
	return s.store.DeletePushSubscriptionByID(ctx, subscriptionID)
}

// PreparePush applies the subscription's policy and loads what the push
// shows; it answers nil (and no error) when the push must not be sent
// (policy, sender gone, status no longer visible).
func (s *NotificationService) PreparePush(ctx context.Context, job *storage.PushJob) (*PushNotice, error) {
	n, sub := &job.Notification, &job.Subscription
	from, err := s.store.AccountByID(ctx, n.FromAccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch sub.Policy {
	case "none":
		return nil, nil
	case "followed":
		if _, err := s.store.FollowBetween(ctx, n.AccountID, n.FromAccountID); err != nil {
			return nil, ignoreNotFound(err)
		}
	case "follower":
		if _, err := s.store.FollowBetween(ctx, n.FromAccountID, n.AccountID); err != nil {
			return nil, ignoreNotFound(err)
		}
	}
	// The push goes to one token: what its caller may see (a member
	// acting for the account may not read its direct messages).
	c, err := s.callerOfTokenID(ctx, sub.TokenID)
	if err != nil {
		if herr.As(err).Status == http.StatusInternalServerError {
			return nil, err
		}
		return nil, nil // the token no longer stands
	}
	if c.Account == nil || c.Account.ID != n.AccountID {
		return nil, nil
	}
	page, err := s.notificationPage(ctx, c, []*model.Notification{n})
	if err != nil || len(page.Notifications) == 0 {
		return nil, err
	}
	notice := &PushNotice{Notification: n, From: from}
	if st := page.Statuses[n.StatusID]; st != nil {
		if st.ReblogOfID != 0 {
			if o := page.View.Originals[st.ReblogOfID]; o != nil {
				st = o
			}
		}
		notice.Status = st
	}
	return notice, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}
