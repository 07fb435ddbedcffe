package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image"
	_ "image/gif" // logo formats
	_ "image/jpeg"
	_ "image/png"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// What the web UI needs beyond the admin API: branding (accent colour and
// logo), the console's dashboard, and a user's data export.

// Branding is the look of the instance's pages.
type Branding struct {
	Accent   string // #rrggbb
	OnAccent string // text colour on the accent: #ffffff or #000000, whichever contrasts more
	Logo     []byte // PNG, JPEG or GIF; nil: none
	LogoType string
	Updated  time.Time
}

type brandingStored struct {
	Accent   string    `json:"accent,omitempty"`
	Logo     string    `json:"logo,omitempty"` // base64
	LogoType string    `json:"logo_type,omitempty"`
	Updated  time.Time `json:"updated"`
}

const (
	brandingKey     = "webui_branding"
	DefaultAccent   = "#3b5bdb"
	MaxLogoBytes    = 256 << 10
	maxLogoEdgePx   = 2048
	brandingAuditTy = "Instance"
)

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// GetBranding returns the instance's branding (defaults when unset).
func (s *Service) GetBranding(ctx context.Context) Branding {
	b := Branding{Accent: DefaultAccent}
	v, err := s.store.Setting(ctx, brandingKey)
	if err == nil {
		var st brandingStored
		if json.Unmarshal([]byte(v), &st) == nil {
			if hexColour.MatchString(st.Accent) {
				b.Accent = strings.ToLower(st.Accent)
			}
			if st.Logo != "" {
				if raw, err := base64.StdEncoding.DecodeString(st.Logo); err == nil {
					b.Logo, b.LogoType = raw, st.LogoType
				}
			}
			b.Updated = st.Updated
		}
	}
	b.OnAccent = textOn(b.Accent)
	return b
}

// textOn picks black or white text for a background colour by WCAG
// contrast.
func textOn(hex string) string {
	lum := func(c uint64) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return pow((v+0.055)/1.055, 2.4)
	}
	n, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	l := 0.2126*lum(n>>16&0xff) + 0.7152*lum(n>>8&0xff) + 0.0722*lum(n&0xff)
	if (1.05)/(l+0.05) >= (l+0.05)/0.05 {
		return "#ffffff"
	}
	return "#000000"
}

func pow(x, y float64) float64 {
	// x^y for x in (0,1], via exp/log series-free approach using the standard library.
	return math.Pow(x, y)
}

// BrandingUpdate changes the branding; nil fields stay as they are.
type BrandingUpdate struct {
	Accent     *string
	Logo       []byte // new logo
	RemoveLogo bool
}

// UpdateBranding changes the branding (Manage Settings permission).
func (s *Service) UpdateBranding(ctx context.Context, c *Caller, u BrandingUpdate) (Branding, error) {
	if err := s.Authorize(ctx, c, PermManageSettings); err != nil {
		return Branding{}, err
	}
	var st brandingStored
	if v, err := s.store.Setting(ctx, brandingKey); err == nil {
		_ = json.Unmarshal([]byte(v), &st)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return Branding{}, herr.Internal(err)
	}
	var changed []string
	if u.Accent != nil {
		a := strings.TrimSpace(*u.Accent)
		if a != "" && !hexColour.MatchString(a) {
			return Branding{}, herr.Unprocessable("Validation failed: Accent colour must look like #3b5bdb")
		}
		st.Accent = strings.ToLower(a)
		changed = append(changed, "accent")
	}
	if u.RemoveLogo {
		st.Logo, st.LogoType = "", ""
		changed = append(changed, "logo")
	} else if u.Logo != nil {
		if len(u.Logo) > MaxLogoBytes {
			return Branding{}, herr.Unprocessable("Validation failed: Logo is too large (maximum is %d KB)", MaxLogoBytes>>10)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(u.Logo))
		if err != nil || cfg.Width > maxLogoEdgePx || cfg.Height > maxLogoEdgePx || cfg.Width == 0 {
			return Branding{}, herr.Unprocessable("Validation failed: Logo must be a PNG, JPEG or GIF image of at most %d pixels a side", maxLogoEdgePx)
		}
		st.Logo, st.LogoType = base64.StdEncoding.EncodeToString(u.Logo), "image/"+format
		changed = append(changed, "logo")
	}
	st.Updated = time.Now().UTC()
	raw, _ := json.Marshal(st)
	if err := s.store.SetSetting(ctx, brandingKey, string(raw)); err != nil {
		return Branding{}, herr.Internal(err)
	}
	s.audit(ctx, c, "update_branding", brandingAuditTy, "", "changed "+strings.Join(changed, ", "))
	return s.GetBranding(ctx), nil
}

// Dashboard is the console's overview.
type Dashboard struct {
	Users, Statuses, Peers int64
	PendingUsers           int64
	OpenReports            int64
	QueuedDeliveries       int64
	NextDeliveryDue        *time.Time
	PendingOutbox          int
}

// AdminDashboard gathers the console's overview (View Dashboard).
func (s *Service) AdminDashboard(ctx context.Context, c *Caller) (*Dashboard, error) {
	if err := s.Authorize(ctx, c, PermViewDashboard); err != nil {
		return nil, err
	}
	d := &Dashboard{}
	var err error
	if d.Users, err = s.store.CountLocalAccounts(ctx); err != nil {
		return nil, herr.Internal(err)
	}
	if d.Statuses, err = s.store.CountLocalStatuses(ctx); err != nil {
		return nil, herr.Internal(err)
	}
	if d.Peers, err = s.store.CountKnownDomains(ctx); err != nil {
		return nil, herr.Internal(err)
	}
	if d.QueuedDeliveries, err = s.store.CountDeliveries(ctx); err != nil {
		return nil, herr.Internal(err)
	}
	if t, ok, err := s.store.NextDeliveryDue(ctx); err == nil && ok {
		d.NextDeliveryDue = &t
	}
	if ev, err := s.store.PendingEvents(ctx, 1000); err == nil {
		d.PendingOutbox = len(ev)
	}
	open := false
	if rs, err := s.store.Reports(ctx, storage.ReportFilter{Resolved: &open}, model.Page{Limit: 1000}); err == nil {
		d.OpenReports = int64(len(rs))
	}
	if as, err := s.store.AdminAccounts(ctx, storage.AdminAccountFilter{Origin: "local", Status: "pending"}, model.Page{Limit: 1000}); err == nil {
		d.PendingUsers = int64(len(as))
	}
	return d, nil
}

// ExportCSV is one of the caller's lists as Mastodon exports it:
// "following" (Account address,Show boosts,Notify on new posts,Languages),
// "blocks" and "mutes" (one address a line; mutes with Hide notifications).
func (s *Service) ExportCSV(ctx context.Context, c *Caller, kind string) ([]byte, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	var list func(context.Context, int64, model.Page) ([]storage.AccountLink, error)
	switch kind {
	case "following":
		list = s.store.Following
	case "blocks":
		list = s.store.Blocks
	case "mutes":
		list = s.store.Mutes
	default:
		return nil, herr.NotFound("export")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	switch kind {
	case "following":
		_ = w.Write([]string{"Account address", "Show boosts", "Notify on new posts", "Languages"})
	case "mutes":
		_ = w.Write([]string{"Account address", "Hide notifications"})
	}
	p := model.Page{Limit: 200}
	for range 1000 {
		links, err := list(ctx, me.ID, p)
		if err != nil {
			return nil, herr.Internal(err)
		}
		if len(links) == 0 {
			break
		}
		ids := make([]int64, len(links))
		for i, l := range links {
			ids[i] = l.AccountID
		}
		accs, err := s.store.AccountsByIDs(ctx, ids)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for _, l := range links {
			a := accs[l.AccountID]
			if a == nil {
				continue
			}
			addr := a.Username + "@" + a.Domain
			if a.Local() {
				addr = a.Username + "@" + s.Cfg.Instance.Domain
			}
			switch kind {
			case "following":
				_ = w.Write([]string{addr, "true", "false", ""})
			case "mutes":
				_ = w.Write([]string{addr, "true"})
			default:
				_ = w.Write([]string{addr})
			}
		}
		p.MaxID = links[len(links)-1].ID
	}
	w.Flush()
	return buf.Bytes(), nil
}
