package activitypub

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// WantsActivityJSON reports whether a request asks for ActivityStreams
// JSON rather than HTML: application/activity+json or application/ld+json
// (with or without a profile) preferred at least as much as text/html. The
// Accept header is read loosely: several types, q-values, parameters with
// or without quotes. No Accept header, or only */*, means HTML.
func WantsActivityJSON(r *http.Request) bool {
	as, html, json := 0.0, 0.0, 0.0
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				// Tolerate sloppy parameters: keep the type before ';'.
				mt = strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
				params = nil
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
			switch mt {
			case "application/activity+json", "application/ld+json":
				as = max(as, q)
			case "text/html", "application/xhtml+xml":
				html = max(html, q)
			case "application/json":
				json = max(json, q)
			}
		}
	}
	if as > 0 {
		return as >= html
	}
	return json > 0 && html == 0
}

// WantsActivityJSON is the method form, for the web UI.
func (f *Federation) WantsActivityJSON(r *http.Request) bool { return WantsActivityJSON(r) }
