package core

import (
	"context"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// loadMediaView loads the attachments and preview cards of a view's
// statuses, boosted originals and quoted statuses, for those that have
// them (ex): a query for each kind some status of the page has.
func (s *MediaService) loadMediaView(ctx context.Context, v *StatusView, ex storage.StatusExtras) error {
	v.Media, v.Cards = map[int64][]*model.MediaAttachment{}, map[int64]*model.PreviewCard{}
	var media, cards []int64
	for _, id := range v.extraIDs() {
		if ex.Media[id] {
			media = append(media, id)
		}
		if ex.Card[id] {
			cards = append(cards, id)
		}
	}
	if len(media) > 0 {
		m, err := s.store.MediaOfStatuses(ctx, media)
		if err != nil {
			return herr.Internal(err)
		}
		v.Media = m
	}
	if len(cards) > 0 {
		c, err := s.store.CardsOfStatuses(ctx, cards)
		if err != nil {
			return herr.Internal(err)
		}
		v.Cards = c
	}
	return nil
}

// extraIDs are the statuses whose attachments, card and poll a view shows:
// each shown status (the original, for a boost) and the quoted ones.
func (v *StatusView) extraIDs() []int64 {
	ids := make([]int64, 0, len(v.Statuses)+len(v.Quoted))
	for _, st := range v.Statuses {
		if st.ReblogOfID == 0 {
			ids = append(ids, st.ID)
		} else {
			ids = append(ids, st.ReblogOfID)
		}
	}
	for qid := range v.Quoted {
		ids = append(ids, qid)
	}
	return ids
}
