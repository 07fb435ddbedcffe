package core

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

func TestValidTagName(t *testing.T) {
	for s, want := range map[string]bool{
		"herald": true, "Ünïcode_2": true, "日本": true, "2024": false, "": false, "a-b": false, "a b": false,
	} {
		if got := ValidTagName(s); got != want {
			t.Errorf("ValidTagName(%q) = %v, want %v", s, got, want)
		}
	}
}
