package activitypub

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
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
		Rel      string `json:"rel"`
		Type     string `json:"type"`
		Href     string `json:"href"`
		Template string `json:"template"`
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

// errNoSubscribeLink: the JRD advertises no remote-interaction template.
var errNoSubscribeLink = errors.New("no remote interaction (subscribe) template")

// subscribeRel is the link relation of the remote-interaction template
// ("https://server/authorize_interaction?uri={uri}"), as Mastodon uses it.
const subscribeRel = "http://ostatus.org/schema/1.0/subscribe"

// parseSubscribeTemplate returns the remote-interaction template of a JRD:
// the first subscribe link whose template holds "{uri}" and, filled in,
// is an http(s) URL with a host (the browser is sent there).
func parseSubscribeTemplate(body []byte) (string, error) {
	var doc remoteJRD
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("malformed JRD: %w", err)
	}
	for _, l := range doc.Links {
		if l.Rel != subscribeRel || !strings.Contains(l.Template, "{uri}") || len(l.Template) > 2000 {
			continue
		}
		u, err := url.Parse(strings.ReplaceAll(l.Template, "{uri}", "x"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			continue
		}
		return l.Template, nil
	}
	return "", errNoSubscribeLink
}
