package activitypub

import (
	"encoding/json"
	"errors"
	"fmt"
)

// WebFinger documents (JRD, RFC 7033) come from other servers: this is the
// only parser of them, fuzzed by FuzzParseWebFinger. The body is already
// bounded by the fetch (maxFetchBytes).
//
// There is no NodeInfo parser: Herald serves NodeInfo but never fetches
// another server's, so no remote NodeInfo document is ever read.

// errNoSelfLink: the JRD has no ActivityPub "self" link.
var errNoSelfLink = errors.New("no ActivityPub self link")

// remoteJRD is the part of a remote WebFinger document Herald reads.
type remoteJRD struct {
	Subject string `json:"subject"`
	Links   []struct {
		Rel  string `json:"rel"`
		Type string `json:"type"`
		Href string `json:"href"`
	} `json:"links"`
}

// parseWebFinger returns the actor id of a JRD: the href of its first
// "self" link with an ActivityStreams media type and an http(s) URL.
func parseWebFinger(body []byte) (string, error) {
	var doc remoteJRD
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("malformed JRD: %w", err)
	}
	for _, l := range doc.Links {
		if l.Rel == "self" && isASMediaType(l.Type) && hostOf(l.Href) != "" {
			return l.Href, nil
		}
	}
	return "", errNoSelfLink
}
