package core

import (
	"context"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// loadMediaView loads the attachments and preview cards of a view's
// statuses and boosted originals: two queries whatever the page size.
func (s *MediaService) loadMediaView(ctx context.Context, v *StatusView) error {
	v.Media, v.Cards = map[int64][]*model.MediaAttachment{}, map[int64]*model.PreviewCard{}
	var ids []int64
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
	if len(ids) == 0 {
		return nil
	}
	m, err := s.store.MediaOfStatuses(ctx, ids)
	if err != nil {
		return herr.Internal(err)
	}
	c, err := s.store.CardsOfStatuses(ctx, ids)
	if err != nil {
		return herr.Internal(err)
	}
	v.Media, v.Cards = m, c
	return nil
}
