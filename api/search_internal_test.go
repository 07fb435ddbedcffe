package api

import "testing"

func TestLooksLikeAcct(t *testing.T) {
	for q, want := range map[string]bool{
		"alice": true, "@alice": true, "alice@social.example": true, "@rob@localhost:8080": true,
		"https://social.example/@alice": false, "two words": false, "a:b@host": false, "a@b@c": false, "@": false, "alice@": false,
	} {
		if got := looksLikeAcct(q); got != want {
			t.Errorf("looksLikeAcct(%q) = %v, want %v", q, got, want)
		}
	}
}
