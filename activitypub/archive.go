package activitypub

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Archives of a local account's posts (core's RecordsExport decides which
// posts, and loads them). The posts are rendered by the code that
// federates them, so that an archive reads as the fediverse received them;
// the format is written down in the archive itself (archiveReadme).
//
// Everything streams: the posts are read a page at a time and written as
// they come, so an account of 100,000 posts costs a page of memory. A ZIP
// entry must be written whole before the next begins, so the posts are
// read once per entry: outbox.json, edits.json, then the media files.

const (
	// RecordsFormat names the archive's layout (manifest.json "format").
	RecordsFormat = "herald-records/1"
	// archiveMediaDir is where the files of attachments go, under their
	// store keys (which are safe paths: media.ValidKey).
	archiveMediaDir = "media_attachments/files/"
	archivePageSize = 200
	// maxArchivePages bounds an export: two million posts.
	maxArchivePages = 10000
)

// WriteOutbox writes an export's posts as an ActivityStreams outbox
// (OrderedCollection of Create activities, newest first), its
// attachments pointing at the server: the JSON of the settings page.
func (f *Federation) WriteOutbox(ctx context.Context, w io.Writer, e *core.RecordsExport) error {
	bw := bufio.NewWriter(w)
	if _, err := f.writeOutbox(ctx, bw, e, false); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteRecords writes an export's archive to w as a ZIP: outbox.json,
// edits.json, actor.json, the media files, README.txt and manifest.json
// (archiveReadme describes them). On an error w holds a broken archive:
// the caller must not pass it off as complete.
func (f *Federation) WriteRecords(ctx context.Context, w io.Writer, e *core.RecordsExport) (*core.RecordsSummary, error) {
	zw := zip.NewWriter(w)
	sum := &core.RecordsSummary{MissingMedia: []string{}}
	entry := func(name string, write func(io.Writer) error) error {
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: e.Started})
		if err != nil {
			return err
		}
		return write(ew)
	}
	err := entry("outbox.json", func(w io.Writer) (err error) {
		sum.Posts, err = f.writeOutbox(ctx, w, e, true)
		return err
	})
	if err == nil {
		err = entry("edits.json", func(w io.Writer) error { return f.writeEdits(ctx, w, e, sum) })
	}
	if err == nil {
		err = entry("actor.json", func(w io.Writer) error { return writeIndented(w, f.actorDoc(ctx, e.Account)) })
	}
	if err == nil {
		err = f.writeMedia(ctx, zw, e, sum)
	}
	if err == nil {
		err = entry("README.txt", func(w io.Writer) error { return f.writeReadme(w, e, sum) })
	}
	if err == nil {
		err = entry("manifest.json", func(w io.Writer) error { return writeIndented(w, f.manifest(e, sum)) })
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// eachPost calls fn with every page of the export's posts, newest first.
func eachPost(ctx context.Context, e *core.RecordsExport, fn func([]*model.Status) error) error {
	p := model.Page{Limit: archivePageSize}
	for range maxArchivePages {
		if err := ctx.Err(); err != nil {
			return err
		}
		sts, err := e.Posts(ctx, p)
		if err != nil || len(sts) == 0 {
			return err
		}
		if err := fn(sts); err != nil {
			return err
		}
		p.MaxID = sts[len(sts)-1].ID
	}
	return nil
}

// collection writes a JSON object's array item by item: head is the
// object's opening up to the array's name, and the count, known at the
// end, follows the array (the order of keys means nothing in JSON).
type collection struct {
	w     io.Writer
	n     int
	count string // the name of the count
}

func startCollection(w io.Writer, head, count string) (*collection, error) {
	_, err := io.WriteString(w, head+"[")
	return &collection{w: w, count: count}, err
}

func (c *collection) add(item any) error {
	b, err := marshalAS(item)
	if err != nil {
		return err
	}
	sep := ",\n"
	if c.n == 0 {
		sep = "\n"
	}
	c.n++
	_, err = io.WriteString(c.w, sep+string(b))
	return err
}

func (c *collection) end() error {
	_, err := fmt.Fprintf(c.w, "\n],%q:%d}\n", c.count, c.n)
	return err
}

// writeOutbox writes outbox.json and returns the number of posts; inZip
// points the attachments at their files in the archive.
func (f *Federation) writeOutbox(ctx context.Context, w io.Writer, e *core.RecordsExport, inZip bool) (int, error) {
	actx, err := marshalAS(asContext)
	if err != nil {
		return 0, err
	}
	c, err := startCollection(w, `{"@context":`+string(actx)+`,"id":"outbox.json","type":"OrderedCollection","orderedItems":`, "totalItems")
	if err != nil {
		return 0, err
	}
	err = eachPost(ctx, e, func(sts []*model.Status) error {
		for _, st := range sts {
			b, err := f.loadStatus(ctx, st)
			if err != nil {
				return herr.Internal(err)
			}
			if inZip {
				for i, a := range b.attachments {
					b.attachments[i].URL = archiveMediaDir + a.FileKey
				}
			}
			d := f.createDoc(b)
			delete(d, "@context")
			if err := c.add(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return c.n, c.end()
}

// writeEdits writes edits.json: the versions of every edited post (a
// documented list, not Update activities: the store keeps the text,
// content warning and sensitivity of earlier versions, not their
// attachments or tags, and an Update would claim whole Notes).
func (f *Federation) writeEdits(ctx context.Context, w io.Writer, e *core.RecordsExport, sum *core.RecordsSummary) error {
	c, err := startCollection(w, `{"format":"`+RecordsFormat+` edits","posts":`, "totalPosts")
	if err != nil {
		return err
	}
	err = eachPost(ctx, e, func(sts []*model.Status) error {
		for _, st := range sts {
			if st.EditedAt == nil {
				continue
			}
			vs, err := e.Versions(ctx, st)
			if err != nil {
				return err
			}
			versions := make([]any, 0, len(vs))
			for _, v := range vs {
				var summary any
				if v.SpoilerText != "" {
					summary = v.SpoilerText
				}
				versions = append(versions, doc{"published": asTime(v.CreatedAt), "summary": summary,
					"sensitive": v.Sensitive, "content": v.Content})
			}
			sum.Versions += len(vs)
			if err := c.add(doc{"id": st.URI, "versions": versions}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sum.EditedPosts = c.n
	return c.end()
}

// writeMedia copies the attachments' files into the archive, as stored
// (already compressed: not deflated again). A file missing from the store
// is listed in the manifest rather than failing the whole export.
func (f *Federation) writeMedia(ctx context.Context, zw *zip.Writer, e *core.RecordsExport, sum *core.RecordsSummary) error {
	return eachPost(ctx, e, func(sts []*model.Status) error {
		ids := make([]int64, len(sts))
		for i, st := range sts {
			ids[i] = st.ID
		}
		atts, err := e.Attachments(ctx, ids)
		if err != nil {
			return err
		}
		for _, st := range sts {
			for _, a := range atts[st.ID] {
				name := archiveMediaDir + a.FileKey
				file, err := e.OpenFile(ctx, a.FileKey)
				if errors.Is(err, fs.ErrNotExist) {
					sum.MissingMedia = append(sum.MissingMedia, name)
					continue
				} else if err != nil {
					return err
				}
				n, err := copyEntry(zw, name, file)
				file.Close()
				if err != nil {
					return err
				}
				sum.MediaFiles++
				sum.MediaBytes += n
			}
		}
		return nil
	})
}

func copyEntry(zw *zip.Writer, name string, file interface {
	io.Reader
	ModTime() time.Time
}) (int64, error) {
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: file.ModTime()})
	if err != nil {
		return 0, err
	}
	return io.Copy(ew, file)
}

// manifest is manifest.json: the archive described for programs.
func (f *Federation) manifest(e *core.RecordsExport, sum *core.RecordsSummary) doc {
	var from any
	if !e.From.IsZero() {
		from = asTime(e.From)
	}
	a := e.Account
	return doc{
		"format":   RecordsFormat,
		"instance": f.base,
		"account": doc{"id": a.URI, "url": a.URL, "username": a.Username, "acct": a.Username + "@" + f.cfg.Instance.Domain,
			"display_name": a.DisplayName},
		"from":        from, // inclusive; null: from the first post
		"to":          asTime(e.To),
		"visibility":  e.Visibilities(),
		"exported_at": asTime(e.Started),
		"exported_by": e.By,
		"counts": doc{"posts": sum.Posts, "edited_posts": sum.EditedPosts, "versions": sum.Versions,
			"media_files": sum.MediaFiles, "media_bytes": sum.MediaBytes, "missing_media": len(sum.MissingMedia)},
		"missing_media": sum.MissingMedia,
		"files": doc{
			"outbox.json":              "the posts, newest first: an ActivityStreams OrderedCollection of Create activities (an ActivityPub outbox)",
			"edits.json":               "the versions of the edited posts, oldest first, the current one last",
			"actor.json":               "the account's ActivityPub actor document",
			"media_attachments/files/": "the attached files, at the paths the Notes' attachment urls name",
			"README.txt":               "this archive's format, for people",
		},
	}
}

func writeIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func (f *Federation) writeReadme(w io.Writer, e *core.RecordsExport, sum *core.RecordsSummary) error {
	vis := "public and unlisted: the account's public record (its followers-only and direct posts are not in it)"
	if e.IncludePrivate {
		vis = "all of the account's own: public, unlisted, followers-only and direct"
	}
	missing := ""
	if len(sum.MissingMedia) > 0 {
		missing = "\nMissing:   these files were attached but not found in the media store:\n  " + strings.Join(sum.MissingMedia, "\n  ")
	}
	_, err := fmt.Fprintf(w, `Herald records archive (format %s)

Account:   @%s (%s)
Period:    posts published %s
Posts:     %s
Exported:  %s by %s
Contents:  posts: %d, of which edited: %d (%d versions in all);
           media files: %d (%d bytes)%s

`, RecordsFormat, e.Account.Username+"@"+f.cfg.Instance.Domain, e.Account.URI, e.Period(), vis, asTime(e.Started), e.By,
		sum.Posts, sum.EditedPosts, sum.Versions, sum.MediaFiles, sum.MediaBytes, missing)
	if err == nil {
		_, err = io.WriteString(w, archiveReadmeFiles)
	}
	return err
}

// archiveReadmeFiles is the archive's format, written into it after what
// the archive holds.
const archiveReadmeFiles = `The files of this archive

outbox.json
  The posts, newest first, as an ActivityPub outbox: an ActivityStreams
  OrderedCollection (https://www.w3.org/TR/activitystreams-core/) of the
  Create activities that sent the posts to other servers, rendered by the
  same code, in the layout of Mastodon's archive export. "totalItems" is
  the number of posts. Each Create's object is the post's Note in its
  current version; a Note that was edited has "updated", and its earlier
  versions are in edits.json. The "url" of each attachment is the path of
  its file in this archive, relative to this file's folder
  (media_attachments/files/...). Boosts of other posts are not the
  account's posts and are not included; nor are posts deleted before the
  export.

edits.json
  The edit history of every edited post:
    {"posts": [{"id": NOTE ID, "versions": [VERSION, ...]}, ...], "totalPosts": N}
  The versions come oldest first, the current one (as in outbox.json)
  last. A version is
    {"published": when it was written (the post's publication or the edit),
     "summary": its content warning or null, "sensitive": true or false,
     "content": its HTML}
  Only the text, content warning and sensitivity of a post are versioned:
  its attachments, mentions and tags are those of its current version.

actor.json
  The account's ActivityPub actor document as the server serves it.

media_attachments/files/...
  The files attached to the posts, as the server stores them.

manifest.json
  What this file says, for programs: format, account, period (from
  inclusive, null when open; to exclusive), visibilities, counts, and the
  files that were missing.

Times are UTC (RFC 3339). The archive is read from the live server: a
post edited while the export ran may show one version in outbox.json and
a later one in edits.json.
`
