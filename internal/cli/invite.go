package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
)

// invite is "herald invite create": it makes an invite and prints its URL,
// then the code alone on the last line. It works while the server runs.
func invite(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"invite needs a subcommand: create"}
	}
	fs, cfgPath := newFlags("invite create", stderr)
	maxUses := fs.Int("max-uses", 0, "how many sign-ups the invite allows (0: unlimited)")
	expiresIn := fs.String("expires-in", "", `validity, e.g. "30m", "12h", "7d" (empty: never expires)`)
	role := fs.String("role", "user", "role given to who signs up: user, moderator, admin, owner or a custom role id")
	comment := fs.String("comment", "", "a note for the admins (who it is for)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *maxUses < 0 {
		return usageError{"--max-uses must be 0 (unlimited) or more"}
	}
	var p core.InviteParams
	p.MaxUses, p.Role, p.Comment = *maxUses, *role, *comment
	if *expiresIn != "" {
		d, err := config.ParseDuration(*expiresIn)
		if err != nil || d <= 0 {
			return usageError{fmt.Sprintf("invalid --expires-in %q (try 30m, 12h or 7d)", *expiresIn)}
		}
		p.ExpiresIn = d
	}
	svc, closeFn, err := openService(*cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	inv, err := svc.CreateInvite(context.Background(), nil, p)
	if err != nil {
		return err
	}
	uses := "unlimited uses"
	if inv.MaxUses > 0 {
		uses = fmt.Sprintf("%d use(s)", inv.MaxUses)
	}
	expires := "never expires"
	if inv.ExpiresAt != nil {
		expires = "expires " + inv.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")
	}
	fmt.Fprintf(stdout, "invite for role %s, %s, %s:\n%s\n%s\n", inv.Role, uses, expires, svc.InviteURL(inv.Code), inv.Code)
	return nil
}
