package activitypub

import (
	"context"
	"encoding/json"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// maxArchivePages bounds an export (200 posts a page): two million posts.
const maxArchivePages = 10000

// ExportArchive is the caller's own posts, newest first, as an
// ActivityStreams outbox: an OrderedCollection of the Create activities
// that federated them, built by the same code, so an archive reads as the
// rest of the fediverse saw the posts.
func (f *Federation) ExportArchive(ctx context.Context, c *core.Caller) ([]byte, error) {
	items := []any{}
	p := model.Page{Limit: 200}
	for range maxArchivePages {
		sts, err := f.svc.ArchivePage(ctx, c, p)
		if err != nil {
			return nil, err
		}
		if len(sts) == 0 {
			break
		}
		for _, st := range sts {
			b, err := f.loadStatus(ctx, st)
			if err != nil {
				return nil, herr.Internal(err)
			}
			d := f.createDoc(b)
			delete(d, "@context")
			items = append(items, d)
		}
		p.MaxID = sts[len(sts)-1].ID
	}
	return json.MarshalIndent(withContext(doc{
		"id":           "outbox.json",
		"type":         "OrderedCollection",
		"totalItems":   len(items),
		"orderedItems": items,
	}), "", "  ")
}
