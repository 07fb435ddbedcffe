package core

import "testing"

func TestSSOUsername(t *testing.T) {
	for in, want := range map[string]string{
		"ada":                                  "ada",
		"Ada.Lovelace@staff.example":           "ada_lovelace",
		"jean-luc picard":                      "jean_luc_picard",
		"__x__":                                "x",
		"名前":                                   "user",
		"":                                     "user",
		"averyveryveryverylongusername_indeed": "averyveryveryverylongusern",
	} {
		if got := ssoUsername(in); got != want || !ValidUsername(got+"99") {
			t.Errorf("ssoUsername(%q) = %q, want %q (valid with a number added)", in, got, want)
		}
	}
}

func TestClaimStrings(t *testing.T) {
	if got := claimStrings("a"); len(got) != 1 || got[0] != "a" {
		t.Errorf("string: %v", got)
	}
	if got := claimStrings([]any{"a", 3, "b"}); len(got) != 2 || got[1] != "b" {
		t.Errorf("list: %v", got)
	}
	if got := claimStrings(map[string]any{"a": 1}); got != nil {
		t.Errorf("object: %v", got)
	}
}
