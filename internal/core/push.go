package core

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// Web Push (RFC 8030/8291/8292), as Mastodon's /api/v1/push/subscription:
// one subscription per access token, with the notification types to push
// ("alerts") and from whom ("policy"). Pushes are queued in the database
// by the notification itself (see the notifications_push trigger) and
// sent by internal/push.

// PushAlertTypes are the alerts a subscription may ask for.
var PushAlertTypes = []string{model.NotifyMention, model.NotifyStatus, model.NotifyReblog, model.NotifyFollow,
	model.NotifyFollowRequest, model.NotifyFavourite, "poll", model.NotifyUpdate, "admin.sign_up", "admin.report"}

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
func (s *Service) VAPIDKeys(ctx context.Context) (VAPIDKeys, error) {
	var k VAPIDKeys
	v, err := s.Store.SettingOrCreate(ctx, "vapid_keys", func() (string, error) {
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

// VAPIDPublicKey is the public key as Mastodon shows it (URL-safe
// base64 with padding): instance configuration.vapid and server_key.
func (s *Service) VAPIDPublicKey(ctx context.Context) string {
	k, err := s.VAPIDKeys(ctx)
	if err != nil {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(k.Public)
	if err != nil {
		return ""
	}
	return base64.URLEncoding.EncodeToString(raw)
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

func (s *Service) alertsAllowed(ctx context.Context, c *Caller, alerts map[string]bool) ([]string, error) {
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
func (s *Service) Subscribe(ctx context.Context, c *Caller, p PushParams) (*storage.PushSubscription, error) {
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
	if err := s.Store.SavePushSubscription(ctx, sub); err != nil {
		return nil, herr.Internal(err)
	}
	return sub, nil
}

// PushSubscription returns the caller's token's subscription.
func (s *Service) PushSubscription(ctx context.Context, c *Caller) (*storage.PushSubscription, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	sub, err := s.Store.PushSubscriptionByToken(ctx, c.Token.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("push subscription")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return sub, nil
}

// UpdatePushSubscription changes alerts and policy.
func (s *Service) UpdatePushSubscription(ctx context.Context, c *Caller, p PushParams) (*storage.PushSubscription, error) {
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
	if err := s.Store.UpdatePushSubscription(ctx, sub); err != nil {
		return nil, herr.Internal(err)
	}
	return sub, nil
}

// Unsubscribe removes the caller's token's subscription (idempotent).
func (s *Service) Unsubscribe(ctx context.Context, c *Caller) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.Store.DeletePushSubscription(ctx, c.Token.ID); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// PushPayload is the JSON pushed for a notification, as Mastodon's
// Web::NotificationSerializer.
type PushPayload struct {
	AccessToken      string `json:"access_token,omitempty"`
	PreferredLocale  string `json:"preferred_locale"`
	NotificationID   string `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// PreparePush applies the subscription's policy and renders the payload;
// ok is false when the push must not be sent (policy, sender gone, status
// no longer visible).
func (s *Service) PreparePush(ctx context.Context, job *storage.PushJob, avatar func(*model.Account) string) (payload []byte, ok bool, err error) {
	n, sub := &job.Notification, &job.Subscription
	from, err := s.Store.AccountByID(ctx, n.FromAccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	switch sub.Policy {
	case "none":
		return nil, false, nil
	case "followed":
		if _, err := s.Store.FollowBetween(ctx, n.AccountID, n.FromAccountID); err != nil {
			return nil, false, ignoreNotFound(err)
		}
	case "follower":
		if _, err := s.Store.FollowBetween(ctx, n.FromAccountID, n.AccountID); err != nil {
			return nil, false, ignoreNotFound(err)
		}
	}
	page, err := s.NotificationFor(ctx, n)
	if err != nil || page == nil {
		return nil, false, err
	}
	name := strings.TrimSpace(from.DisplayName)
	if name == "" {
		name = from.Username
	}
	p := PushPayload{PreferredLocale: "en", NotificationID: strconv.FormatInt(n.ID, 10), NotificationType: n.Type,
		Icon: avatar(from), Title: pushTitle(n.Type, name)}
	if st := page.Statuses[n.StatusID]; st != nil {
		if st.ReblogOfID != 0 {
			if o := page.View.Originals[st.ReblogOfID]; o != nil {
				st = o
			}
		}
		p.Body = st.SpoilerText
		if p.Body == "" {
			p.Body = text.PlainText(st.Content)
		}
	} else {
		p.Body = text.PlainText(from.Note)
	}
	p.Body = truncateRunes(p.Body, 140)
	b, err := json.Marshal(p)
	return b, err == nil, err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}

func pushTitle(typ, name string) string {
	switch typ {
	case model.NotifyMention:
		return "You were mentioned by " + name
	case model.NotifyStatus:
		return name + " just posted"
	case model.NotifyReblog:
		return name + " boosted your post"
	case model.NotifyFollow:
		return name + " is now following you"
	case model.NotifyFollowRequest:
		return name + " has requested to follow you"
	case model.NotifyFavourite:
		return name + " favourited your post"
	case model.NotifyUpdate:
		return name + " edited a post"
	case "poll":
		return "A poll has ended"
	case "admin.sign_up":
		return name + " signed up"
	case "admin.report":
		return "New report"
	}
	return "New notification from " + name
}

func truncateRunes(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
