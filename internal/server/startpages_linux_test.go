package server

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// exeResidentKiB sums the resident pages of this process's mappings of its
// own executable, as smaps reports them.
func exeResidentKiB(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	total, inExe := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case !strings.HasSuffix(f[0], ":"):
			inExe = len(f) >= 6 && f[5] == exe && f[1] != "rw-p"
		case inExe && f[0] == "Rss:" && len(f) > 1:
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("smaps: %q", line)
			}
			total += n
		}
	}
	return total
}

// TestReleaseStartupPages: the executable's read-only pages are unmapped
// (its resident share falls) and the process goes on running its code,
// which maps back what it uses: a server started after serves requests.
func TestReleaseStartupPages(t *testing.T) {
	before := exeResidentKiB(t)
	if before == 0 {
		t.Fatal("no resident page of the executable found")
	}
	if released := releaseStartupPages(); released == 0 {
		t.Fatal("nothing released")
	}
	if after := exeResidentKiB(t); after >= before {
		t.Fatalf("resident pages of the executable: %d KiB before, %d KiB after", before, after)
	}
	ts := StartTest(t)
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	ts.JSON(t, http.MethodPost, "/api/v1/statuses", tok, map[string]any{"status": "still running"}, 200, nil)
	var home []map[string]any
	ts.JSON(t, http.MethodGet, "/api/v1/timelines/home", tok, nil, 200, &home)
	if len(home) != 1 || !strings.Contains(home[0]["content"].(string), "still running") {
		t.Fatalf("home = %v", home)
	}
}

// TestReleasableSpans: only the executable's read-only private mappings
// are released, and not one that holds a written (anonymous) page, such as
// relocations made read-only after the loader wrote them.
func TestReleasableSpans(t *testing.T) {
	smaps := `00400000-00500000 r-xp 00000000 08:01 12 /srv/herald
Size:               1024 kB
Rss:                 512 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
00500000-00600000 r--p 00100000 08:01 12 /srv/herald
Rss:                 256 kB
Anonymous:             0 kB
00600000-00601000 r--p 00200000 08:01 12 /srv/herald
Rss:                   4 kB
Anonymous:             4 kB
00601000-00700000 rw-p 00201000 08:01 12 /srv/herald
Anonymous:            64 kB
7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /usr/lib/libc.so.6
Anonymous:             0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Anonymous:          1024 kB
`
	got, err := releasableSpans(strings.NewReader(smaps), "/srv/herald")
	if err != nil {
		t.Fatal(err)
	}
	want := []span{{0x400000, 0x500000}, {0x500000, 0x600000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("spans = %x, want %x", got, want)
	}
}
