package core

import "github.com/herald-social/herald/internal/model"

var roleRank = map[string]int{model.RoleUser: 0, model.RoleModerator: 1, model.RoleAdmin: 2, model.RoleOwner: 3}

// RoleAtLeast reports whether role is at least as powerful as min.
func RoleAtLeast(role, min string) bool {
	r, ok := roleRank[role]
	m, ok2 := roleRank[min]
	return ok && ok2 && r >= m
}
