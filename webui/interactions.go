package webui

import (
	"context"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Interaction policies in the web client: who may reply to and quote a
// post (chosen when composing), and the account's defaults for replies,
// favourites, boosts and quotes (Settings, Interactions). The choices are
// presets of core's policy rules; core applies and checks them.

// policyPreset is one choice of who may do a kind of interaction.
type policyPreset struct {
	Key, Label string
	Rule       model.PolicyRule
}

func rule(auto []string, manual ...string) model.PolicyRule {
	return model.PolicyRule{Automatic: auto, Manual: manual}
}

// interactionPresets are the choices offered for replies, favourites and
// boosts; quotePresets those for quotes (opt-in, as in Mastodon).
var (
	interactionPresets = []policyPreset{
		{"public", "Anyone", rule([]string{model.PolicyPublic})},
		{"followers", "Followers", rule([]string{model.PolicyFollowers})},
		{"following", "People you follow", rule([]string{model.PolicyFollowing})},
		{"mentioned", "People you mention", rule([]string{model.PolicyMentioned})},
		{"followers_approval", "Followers, others ask", rule([]string{model.PolicyFollowers}, model.PolicyPublic)},
		{"approval", "Anyone, if you approve", rule([]string{model.PolicyAuthor}, model.PolicyPublic)},
		{"author", "Only you", rule([]string{model.PolicyAuthor})},
	}
	quotePresets = []policyPreset{
		{"public", "Anyone", rule([]string{model.PolicyPublic})},
		{"followers", "Followers", rule([]string{model.PolicyFollowers})},
		{"approval", "Anyone, if you approve", rule([]string{model.PolicyAuthor}, model.PolicyPublic)},
		{"author", "Only you", rule([]string{model.PolicyAuthor})},
	}
)

func presetsFor(kind model.InteractionKind) []policyPreset {
	if kind == model.InteractQuote {
		return quotePresets
	}
	return interactionPresets
}

// presetOf finds the preset a rule is ("" when none: set by an app). The
// author always may, so naming them changes nothing.
func presetOf(kind model.InteractionKind, r model.PolicyRule) *policyPreset {
	canon := func(vs []string) []string {
		out := slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return v == model.PolicyAuthor })
		slices.Sort(out)
		return out
	}
	for i, p := range presetsFor(kind) {
		if slices.Equal(canon(p.Rule.Automatic), canon(r.Automatic)) && slices.Equal(canon(p.Rule.Manual), canon(r.Manual)) {
			return &presetsFor(kind)[i]
		}
	}
	return nil
}

// presetRule reads a preset key from a form ("" when none was chosen).
func presetRule(kind model.InteractionKind, key string) (model.PolicyRule, bool, error) {
	if key == "" {
		return model.PolicyRule{}, false, nil
	}
	for _, p := range presetsFor(kind) {
		if p.Key == key {
			return p.Rule, true, nil
		}
	}
	return model.PolicyRule{}, false, herr.Unprocessable("Validation failed: %q is not a choice of who may %s", key, kindVerb[kind])
}

var kindVerb = map[model.InteractionKind]string{
	model.InteractReply: "reply", model.InteractFavourite: "favourite", model.InteractReblog: "boost", model.InteractQuote: "quote",
}

// policyField is one select of a policy form.
type policyField struct {
	Name, Label string
	Presets     []policyPreset
	Selected    string // preset key; "custom" when none fits
	Default     string // compose: the label of the account's default
}

// composePolicyFields are the compose form's selects: who may reply and
// quote, preset to the account's default for its default visibility.
func (w *UI) composePolicyFields(ctx context.Context, accountID int64, vis string) []policyField {
	v, ok := model.ParseVisibility(vis)
	if !ok {
		v = model.Public
	}
	def, err := w.svc.DefaultInteractionPolicy(ctx, accountID, v)
	if err != nil {
		def = model.OpenInteractionPolicy()
	}
	var out []policyField
	for _, k := range []struct {
		kind  model.InteractionKind
		label string
	}{{model.InteractReply, "Who can reply"}, {model.InteractQuote, "Who can quote"}} {
		label := "Custom"
		if p := presetOf(k.kind, def.Rule(k.kind)); p != nil {
			label = p.Label
		}
		out = append(out, policyField{Name: "policy_" + string(k.kind), Label: k.label, Presets: presetsFor(k.kind), Default: label})
	}
	return out
}

// composePolicy reads the compose form's choice (nil: the defaults).
func composePolicy(c echo.Context) (core.PolicyChoice, error) {
	var choice core.PolicyChoice
	for _, kind := range []model.InteractionKind{model.InteractReply, model.InteractQuote} {
		r, set, err := presetRule(kind, c.FormValue("policy_"+string(kind)))
		if err != nil {
			return nil, err
		}
		if set {
			if choice == nil {
				choice = core.PolicyChoice{}
			}
			choice[kind] = r
		}
	}
	return choice, nil
}

// settingsKinds are the defaults the settings page edits, in its order.
var settingsKinds = []struct {
	kind  model.InteractionKind
	label string
}{
	{model.InteractReply, "Who can reply"},
	{model.InteractFavourite, "Who can favourite"},
	{model.InteractReblog, "Who can boost"},
	{model.InteractQuote, "Who can quote"},
}

func (w *UI) settingsInteractions(c echo.Context) error {
	cl := w.caller(c)
	def, err := w.svc.DefaultInteractionPolicy(c.Request().Context(), cl.Account.ID, model.Public)
	if err != nil {
		return w.fail(c, err)
	}
	var fields []policyField
	for _, k := range settingsKinds {
		f := policyField{Name: "policy_" + string(k.kind), Label: k.label, Presets: presetsFor(k.kind), Selected: "custom"}
		if p := presetOf(k.kind, def.Rule(k.kind)); p != nil {
			f.Selected = p.Key
		}
		fields = append(fields, f)
	}
	return w.settingsPage(c, "interactions", "Interactions", page{"PolicyFields": fields})
}

// settingsInteractionsSubmit sets the defaults: replies and favourites for
// posts of every visibility, boosts and quotes for public and unlisted
// ones (followers-only and direct posts cannot be boosted or quoted by
// others). "custom" keeps what an app set.
func (w *UI) settingsInteractionsSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	all, open := core.PolicyChoice{}, core.PolicyChoice{}
	for _, k := range settingsKinds {
		key := c.FormValue("policy_" + string(k.kind))
		if key == "custom" {
			continue
		}
		r, set, err := presetRule(k.kind, key)
		if err != nil {
			return w.fail(c, err)
		}
		if !set {
			continue
		}
		if k.kind == model.InteractReply || k.kind == model.InteractFavourite {
			all[k.kind] = r
		} else {
			open[k.kind] = r
		}
	}
	if len(all) > 0 {
		if _, err := w.svc.SetDefaultRules(ctx, cl, []model.Visibility{model.Public, model.Unlisted, model.Private, model.Direct}, all); err != nil {
			return w.fail(c, err)
		}
	}
	if len(open) > 0 {
		if _, err := w.svc.SetDefaultRules(ctx, cl, []model.Visibility{model.Public, model.Unlisted}, open); err != nil {
			return w.fail(c, err)
		}
	}
	return w.done(c, "/settings/interactions", "Interaction settings saved.")
}
