package cli

import "testing"

func TestInvocationNamesHowHeraldWasStarted(t *testing.T) {
	for _, c := range []struct{ exe, arg0, want string }{
		{"/tmp/go-build2981/b001/exe/herald", "/tmp/go-build2981/b001/exe/herald", "go run ."},
		{"/usr/local/bin/herald", "herald", "herald"},
		{"/home/me/herald/herald", "./herald", "./herald"},
	} {
		if got := invocationOf(c.exe, c.arg0); got != c.want {
			t.Errorf("invocationOf(%q, %q) = %q, want %q", c.exe, c.arg0, got, c.want)
		}
	}
}
