package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// Collections (Mastodon 4.6's featured collections) served as Mastodon's
// main branch serves them: the actor links its featuredCollections, a
// Collection paged five at a time whose pages hold FeaturedCollection
// objects; each collection is dereferenceable at its id and lists its
// accepted accounts as FeaturedItem objects. Only discoverable
// collections are served. Herald does not send Add/Remove/Update of them,
// nor the FeatureRequest/FeatureAuthorization exchange (featured accounts
// approving a remote collection), and does not ingest remote ones.

// collectionsPerPage is Mastodon's page size for featuredCollections.
const collectionsPerPage = 5

// handleFeaturedCollections: the actor's featuredCollections.
func (f *Federation) handleFeaturedCollections(c echo.Context) error {
	a, auth, err := f.collectionOwner(c)
	if a == nil {
		return err
	}
	views, err := f.svc.SignerCollections(c.Request().Context(), auth.signer, a.ID)
	if err != nil {
		return err
	}
	id := f.svc.FeaturedCollectionsURI(a.Username)
	pageParam := c.QueryParam("page")
	if pageParam == "" {
		return writeAS(c, http.StatusOK, withContext(doc{"id": id, "type": "Collection", "totalItems": len(views), "first": id + "?page=1"}))
	}
	page, err := strconv.Atoi(pageParam)
	if err != nil || page < 1 {
		return apError(c, http.StatusBadRequest, "Invalid page")
	}
	start := min((page-1)*collectionsPerPage, len(views))
	end := min(start+collectionsPerPage, len(views))
	items := []any{}
	for _, v := range views[start:end] {
		items = append(items, f.featuredCollectionDoc(a.Username, v))
	}
	d := doc{"id": id + "?page=" + strconv.Itoa(page), "type": "CollectionPage", "totalItems": len(views), "partOf": id, "items": items}
	if end < len(views) {
		d["next"] = id + "?page=" + strconv.Itoa(page+1)
	}
	if page > 1 {
		d["prev"] = id + "?page=" + strconv.Itoa(page-1)
	}
	return writeAS(c, http.StatusOK, withContext(d))
}

// handleFeaturedCollection: one collection, as a FeaturedCollection.
func (f *Federation) handleFeaturedCollection(c echo.Context) error {
	a, auth, err := f.collectionOwner(c)
	if a == nil {
		return err
	}
	id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
	if perr != nil || id <= 0 {
		return apError(c, http.StatusNotFound, "Record not found")
	}
	v, err := f.svc.SignerCollection(c.Request().Context(), auth.signer, a.ID, id)
	if err != nil {
		return apError(c, http.StatusNotFound, "Record not found")
	}
	return writeAS(c, http.StatusOK, withContext(f.featuredCollectionDoc(a.Username, v)))
}

// featuredCollectionDoc is Mastodon's FeaturedCollection: the summary in
// the collection's language when it has one, its hashtag as topic, its
// accepted accounts as orderedItems.
func (f *Federation) featuredCollectionDoc(username string, v *core.CollectionView) doc {
	col := v.Collection
	id := f.svc.CollectionURI(username, col.ID)
	items := []any{}
	for _, it := range v.Items {
		acc := v.Accounts[it.AccountID]
		if acc == nil || it.State != "accepted" {
			continue
		}
		typ := "Person"
		if acc.Bot {
			typ = "Service"
		}
		items = append(items, doc{"id": id + "/items/" + strconv.FormatInt(it.ID, 10), "type": "FeaturedItem",
			"featuredObject": acc.URI, "featuredObjectType": typ})
	}
	d := doc{"id": id, "type": "FeaturedCollection", "name": col.Name, "attributedTo": f.svc.LocalActorURI(username),
		"url": f.svc.CollectionURL(col.AccountID, col.ID), "sensitive": col.Sensitive, "discoverable": col.Discoverable,
		"published": asTime(col.CreatedAt), "updated": asTime(col.UpdatedAt), "totalItems": len(items), "orderedItems": items}
	if col.Language != "" {
		d["summaryMap"] = map[string]string{col.Language: col.Description}
	} else {
		d["summary"] = col.Description
	}
	if col.TagName != "" {
		d["topic"] = doc{"type": "Hashtag", "href": f.svc.TagURL(col.TagName), "name": "#" + col.TagName}
	}
	return d
}

// RemoteCollection is a FeaturedCollection read from another server.
type RemoteCollection struct {
	ID, Name, Summary, Language, Topic string
	Sensitive, Discoverable            bool
	// Featured are the featured accounts' actor ids, in order.
	Featured []string
}

// maxCollectionPages bounds the pages read of a featuredCollections
// (Mastodon allows ten collections an account, five a page).
const maxCollectionPages = 4

// apFeaturedCollection is the part of Mastodon's FeaturedCollection read.
type apFeaturedCollection struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Name         string            `json:"name"`
	Summary      string            `json:"summary"`
	SummaryMap   map[string]string `json:"summaryMap"`
	AttributedTo string            `json:"attributedTo"`
	Sensitive    bool              `json:"sensitive"`
	Discoverable bool              `json:"discoverable"`
	Topic        *struct {
		Name string `json:"name"`
	} `json:"topic"`
	OrderedItems []struct {
		Type           string `json:"type"`
		FeaturedObject string `json:"featuredObject"`
	} `json:"orderedItems"`
}

// FetchFeaturedCollections reads the collections an actor features, as
// Mastodon's main branch serves them (featuredCollections on the actor, a
// paged Collection of FeaturedCollection objects). Only collections on
// the actor's own host and attributed to it are kept. Herald does not
// store them yet: this is the reading half of ingestion.
func (f *Federation) FetchFeaturedCollections(ctx context.Context, actorURI string) ([]RemoteCollection, error) {
	var actor struct {
		ID                  string `json:"id"`
		FeaturedCollections string `json:"featuredCollections"`
	}
	if err := f.getJSON(ctx, actorURI, &actor); err != nil {
		return nil, err
	}
	host := hostOf(actorURI)
	if actor.ID != actorURI || actor.FeaturedCollections == "" || hostOf(actor.FeaturedCollections) != host {
		return nil, nil
	}
	var coll struct {
		First json.RawMessage `json:"first"`
	}
	if err := f.getJSON(ctx, actor.FeaturedCollections, &coll); err != nil {
		return nil, err
	}
	type page struct {
		Items        []json.RawMessage `json:"items"`
		OrderedItems []json.RawMessage `json:"orderedItems"`
		Next         string            `json:"next"`
	}
	var out []RemoteCollection
	var p page
	var firstIRI string
	if json.Unmarshal(coll.First, &firstIRI) == nil {
		if hostOf(firstIRI) != host {
			return nil, nil
		}
		if err := f.getJSON(ctx, firstIRI, &p); err != nil {
			return nil, err
		}
	} else if err := json.Unmarshal(coll.First, &p); err != nil {
		return nil, fmt.Errorf("%s: first: %w", actor.FeaturedCollections, err)
	}
	for n := 1; ; n++ {
		for _, raw := range append(p.Items, p.OrderedItems...) {
			var fc apFeaturedCollection
			var iri string
			if json.Unmarshal(raw, &iri) == nil {
				if hostOf(iri) != host || f.getJSON(ctx, iri, &fc) != nil {
					continue
				}
			} else if json.Unmarshal(raw, &fc) != nil {
				continue
			}
			if fc.Type != "FeaturedCollection" || hostOf(fc.ID) != host || fc.AttributedTo != actorURI {
				continue
			}
			rc := RemoteCollection{ID: fc.ID, Name: fc.Name, Summary: fc.Summary, Sensitive: fc.Sensitive, Discoverable: fc.Discoverable}
			for lang, s := range fc.SummaryMap {
				rc.Language, rc.Summary = lang, s
				break
			}
			if fc.Topic != nil {
				rc.Topic = strings.TrimPrefix(fc.Topic.Name, "#")
			}
			for _, it := range fc.OrderedItems {
				if it.Type == "FeaturedItem" && hostOf(it.FeaturedObject) != "" {
					rc.Featured = append(rc.Featured, it.FeaturedObject)
				}
			}
			out = append(out, rc)
		}
		if n >= maxCollectionPages || p.Next == "" || hostOf(p.Next) != host {
			break
		}
		next := p.Next
		p = page{}
		if err := f.getJSON(ctx, next, &p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// getJSON GETs an ActivityPub document (signed) into v.
func (f *Federation) getJSON(ctx context.Context, iri string, v any) error {
	body, _, ct, err := f.signedGet(ctx, iri, acceptAS)
	if err != nil {
		return err
	}
	if !validASContentType(ct) {
		return fmt.Errorf("%w: %s answered %q", errNotAP, iri, ct)
	}
	return json.Unmarshal(body, v)
}
