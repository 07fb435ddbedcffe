package api_test

import (
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// The instance entity and NodeInfo publish the same usage (core's
// InstanceUsage): v2's active_month counted every user, active or not.
func TestInstanceUsageAgreesWithNodeInfo(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user") // never signed in, never posted
	ts.CreateUser(t, "bob", "user")
	check := func(want int64) {
		t.Helper()
		var v2 struct {
			Usage struct {
				Users struct {
					ActiveMonth int64 `json:"active_month"`
				}
			}
		}
		ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &v2)
		var ni struct {
			Usage struct {
				Users struct{ Total, ActiveMonth int64 }
			}
		}
		ts.JSON(t, "GET", "/nodeinfo/2.0", "", nil, 200, &ni)
		var v1 struct {
			Stats struct {
				UserCount int64 `json:"user_count"`
			}
		}
		ts.JSON(t, "GET", "/api/v1/instance", "", nil, 200, &v1)
		if v2.Usage.Users.ActiveMonth != want || ni.Usage.Users.ActiveMonth != want {
			t.Errorf("active this month: v2 instance %d, NodeInfo %d, want %d", v2.Usage.Users.ActiveMonth, ni.Usage.Users.ActiveMonth, want)
		}
		if v1.Stats.UserCount != ni.Usage.Users.Total || v1.Stats.UserCount < 2 {
			t.Errorf("users: v1 instance %d, NodeInfo %d", v1.Stats.UserCount, ni.Usage.Users.Total)
		}
	}
	check(0)
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "hello"}, 200, nil)
	check(1)
}
