package core

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/media"
)

// Where media files live ([media] backend): a directory (LocalStore) or a
// bucket of an S3-compatible object store (S3Store). Everything that
// reads, writes or deletes a file goes through Files(); only serving
// differs: an S3 store in "redirect" mode sends clients to the object.

// NewFileStore builds the file store that cfg names, without touching it
// (CheckFileStore does).
func NewFileStore(cfg config.Config) (media.FileStore, error) {
	if cfg.Media.Backend != "s3" {
		return &media.LocalStore{Root: cfg.MediaDir()}, nil
	}
	c := cfg.Media.S3
	return media.NewS3Store(media.S3Options{
		Endpoint: c.Endpoint, Bucket: c.Bucket, Region: c.Region,
		AccessKey: c.AccessKey, SecretKey: c.SecretKey,
		UseTLS: c.UseTLS, PathStyle: c.PathStyle,
		PublicURL: c.PublicURL, PresignExpiry: c.PresignExpiry.Duration,
	})
}

// CheckFileStore makes sure the media store can be used: for S3, that the
// bucket exists and the credentials reach it (making it with
// create_bucket). The server and the commands call it at start, so that a
// wrong bucket is a clear error then, not a failed upload later.
func (s *MediaService) CheckFileStore(ctx context.Context) error {
	switch fs := s.Files().(type) {
	case brokenStore:
		return fs.err
	case *media.S3Store:
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return fs.Check(ctx, s.Cfg.Media.S3.CreateBucket)
	}
	return nil
}

// FileRedirect says where a client asking for a stored file is sent, when
// the store serves by redirect (S3 with serve = "redirect"): the URL, and
// how long the redirect may be cached (0: like the file, forever). ok is
// false when Herald serves the bytes itself.
func (s *MediaService) FileRedirect(ctx context.Context, key string) (u string, ttl time.Duration, ok bool, err error) {
	st, isS3 := s.Files().(*media.S3Store)
	if !isS3 || s.Cfg.Media.S3.Serve != "redirect" {
		return "", 0, false, nil
	}
	u, ttl, err = st.Redirect(ctx, key)
	return u, ttl, err == nil, err
}

// MediaOrigins are the origins other than Herald's from which clients load
// media files (an object store's, in redirect mode or with public_url):
// the web UI's pages allow images and media from them.
func (s *MediaService) MediaOrigins() []string {
	st, ok := s.Files().(*media.S3Store)
	if !ok {
		return nil
	}
	return st.Origins(s.Cfg.Media.S3.Serve == "redirect")
}

// brokenStore stands for a store that could not be built: every use fails
// with why (CheckFileStore reports it at start).
type brokenStore struct{ err error }

func (b brokenStore) Put(context.Context, string, io.Reader) (int64, error) { return 0, b.err }
func (b brokenStore) Open(context.Context, string) (media.StoredFile, error) {
	return nil, b.err
}
func (b brokenStore) Delete(context.Context, string) error { return b.err }

// fileStoreOf builds cfg's store for the media state.
func fileStoreOf(cfg config.Config) media.FileStore {
	fs, err := NewFileStore(cfg)
	if err != nil {
		return brokenStore{fmt.Errorf("media store: %w", err)}
	}
	return fs
}

// OpenFileStore builds the file store cfg names and checks it (the bucket
// exists, or is made with create_bucket): for tools that move files
// between stores without opening the database.
func OpenFileStore(ctx context.Context, cfg config.Config) (media.FileStore, error) {
	fs, err := NewFileStore(cfg)
	if err != nil {
		return nil, err
	}
	if st, ok := fs.(*media.S3Store); ok {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := st.Check(ctx, cfg.Media.S3.CreateBucket); err != nil {
			return nil, err
		}
	}
	return fs, nil
}
