package server

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/model"
)

// BenchmarkReadPaths is the three reads of issue 19 through the whole
// server over loopback HTTP: a 40-status page of the home and the local
// timeline, and verify_credentials, for a reader among five accounts that
// follow each other and wrote 120 statuses. The figures include the
// client's side of each request (same process); `herald bench` measures
// the server process alone.
func BenchmarkReadPaths(b *testing.B) {
	ts := StartTest(b, func(c *config.Config) {
		c.Limits.APIPer5Minutes = 1 << 30
		c.Limits.APIPerIPPer5Minutes = 1 << 30
	})
	var tokens []string
	var ids []string
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("reader%d", i)
		acc := ts.CreateUser(b, name, model.RoleUser)
		ids = append(ids, fmt.Sprint(acc.ID))
		tokens = append(tokens, ts.Token(b, name, "read write follow"))
	}
	for i, tok := range tokens {
		for j, id := range ids {
			if i != j {
				ts.JSON(b, http.MethodPost, "/api/v1/accounts/"+id+"/follow", tok, nil, http.StatusOK, nil)
			}
		}
	}
	for n := 0; n < 120; n++ {
		ts.JSON(b, http.MethodPost, "/api/v1/statuses", tokens[n%len(tokens)],
			map[string]any{"status": fmt.Sprintf("Status %d, with a #tag and some words to make it a typical length.", n)}, http.StatusOK, nil)
	}
	for _, c := range []struct{ name, path string }{
		{"home", "/api/v1/timelines/home?limit=40"},
		{"local", "/api/v1/timelines/public?local=true&limit=40"},
		{"verify_credentials", "/api/v1/accounts/verify_credentials"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				if code, _, body := ts.Do(b, http.MethodGet, c.path, tokens[0], nil); code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.path, code, body)
				}
			}
			// CPU time rather than wall time: steadier on a shared machine.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// processCPU is this process's CPU time (user and system) so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
