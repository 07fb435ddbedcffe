package text

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected HTML of testdata/render/*.txt from Render's output")

// goldenOptions resolves the accounts the golden files mention: alice is
// local (also as @alice@herald.example), bob and carol are remote.
var goldenOptions = RenderOptions{
	Mention: func(m MentionRef) (ResolvedMention, bool) {
		switch {
		case strings.EqualFold(m.Username, "alice") && (m.Domain == "" || m.Domain == "herald.example"):
			return ResolvedMention{Username: "alice", URL: "https://herald.example/@alice"}, true
		case m.Username == "bob" && m.Domain == "remote.example":
			return ResolvedMention{Username: "bob", Domain: m.Domain, URL: "https://remote.example/@bob"}, true
		case m.Username == "carol" && m.Domain == "localhost:8080":
			return ResolvedMention{Username: "carol", Domain: m.Domain, URL: "http://localhost:8080/@carol"}, true
		}
		return ResolvedMention{}, false
	},
	TagURL: func(tag string) string {
		return "https://herald.example/tags/" + url.PathEscape(tag)
	},
}

// splitGolden splits a golden file into its input and expected output: the
// input, a line "----", then the expected HTML (one trailing newline is not
// part of it).
func splitGolden(t *testing.T, content string) (input, want string) {
	t.Helper()
	const sep = "----\n"
	var rest string
	if strings.HasPrefix(content, sep) {
		rest = content[len(sep):]
	} else {
		i := strings.Index(content, "\n"+sep)
		if i < 0 {
			t.Fatalf("no %q separator line", "----")
		}
		input, rest = content[:i], content[i+1+len(sep):]
	}
	return input, strings.TrimSuffix(rest, "\n")
}

func TestRenderGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "render", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata/render")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want := splitGolden(t, string(data))
			got := Render(input, goldenOptions)
			if *update {
				if err := os.WriteFile(file, []byte(input+"\n----\n"+got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("Render(%q)\n got: %s\nwant: %s", input, got, want)
			}
		})
	}
}

func TestRenderCRLF(t *testing.T) {
	got := Render("one\r\ntwo\r\n\r\nthree\rfour", RenderOptions{})
	want := "<p>one<br />two</p><p>three<br />four</p>"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRenderNilOptions(t *testing.T) {
	// Without callbacks, mentions and hashtags stay plain; links still work.
	got := Render("@alice #tag https://a.example", RenderOptions{})
	want := `<p>@alice #tag <a href="https://a.example" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span class="">a.example</span></a></p>`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestRenderEscapesCallbackResults(t *testing.T) {
	o := RenderOptions{
		Mention: func(MentionRef) (ResolvedMention, bool) {
			return ResolvedMention{Username: `x"><script>`, URL: `https://e.example/"onmouseover="x`}, true
		},
		TagURL: func(string) string { return `javascript:"><b>` },
	}
	got := Render("@a #b", o)
	if strings.Contains(got, "<script") || strings.Contains(got, `"onmouseover`) || strings.Contains(got, "<b>") {
		t.Errorf("callback results not escaped: %s", got)
	}
}
