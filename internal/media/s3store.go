package media

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// S3Options says where an S3Store keeps its objects.
type S3Options struct {
	// Endpoint is host[:port] of the S3 API, without a scheme.
	Endpoint  string
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	UseTLS    bool
	// PathStyle addresses the bucket in the path (http://host/bucket/key),
	// as most self-hosted servers want, instead of in the host name.
	PathStyle bool
	// PublicURL, when set, is a base URL under which the bucket's objects
	// can be read by anyone (a public bucket or a CDN): URL(key) is then
	// PublicURL + "/" + key, and Herald's own media URLs redirect there.
	PublicURL string
	// PresignExpiry is how long a presigned GET URL is valid.
	PresignExpiry time.Duration
	// Transport, when not nil, replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// S3Store is a FileStore in a bucket of an S3-compatible object store. Keys
// are object names as they are; each object carries the Content-Type of its
// extension and an immutable Cache-Control, so that a client sent straight
// to the bucket (redirect, public_url) gets the same headers as from Herald.
type S3Store struct {
	client *s3Client
	opts   S3Options
}

// NewS3Store makes the client; it does not talk to the server (Check does).
func NewS3Store(o S3Options) (*S3Store, error) {
	c, err := newS3Client(o)
	if err != nil {
		return nil, fmt.Errorf("media s3 endpoint %q: %w", o.Endpoint, err)
	}
	if o.PresignExpiry <= 0 {
		o.PresignExpiry = 10 * time.Minute
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &S3Store{opts: o, client: c}, nil
}

// Bucket is the bucket's name.
func (s *S3Store) Bucket() string { return s.opts.Bucket }

// Check makes sure the bucket exists and is reachable with the credentials;
// with create it makes a missing bucket.
func (s *S3Store) Check(ctx context.Context, create bool) error {
	where := s.where()
	ok, err := s.client.bucketExists(ctx)
	if err != nil {
		return fmt.Errorf("media s3: cannot reach bucket %s: %w", where, err)
	}
	if ok {
		return nil
	}
	if !create {
		return fmt.Errorf("media s3: bucket %s does not exist (create it, or set media.s3.create_bucket = true)", where)
	}
	if err := s.client.makeBucket(ctx); err != nil {
		return fmt.Errorf("media s3: create bucket %s: %w", where, err)
	}
	return nil
}

func (s *S3Store) where() string {
	scheme := "http"
	if s.opts.UseTLS {
		scheme = "https"
	}
	return fmt.Sprintf("%q at %s://%s", s.opts.Bucket, scheme, s.opts.Endpoint)
}

// Put uploads r under key; it returns once the server has stored the whole
// object (a PUT is atomic: readers never see half an object). A reader of
// unknown length is spooled to a temporary file first, so that one PUT
// with a known length goes out (no multipart buffers in memory).
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if !ValidKey(key) {
		return 0, fmt.Errorf("media: invalid key %q", key)
	}
	var size int64 = -1
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader
		size = int64(v.Len())
	case *io.SectionReader:
		if off, err := v.Seek(0, io.SeekCurrent); err == nil {
			size = v.Size() - off
		}
	}
	if size < 0 {
		tmp, err := os.CreateTemp("", "herald-s3-put-*")
		if err != nil {
			return 0, err
		}
		defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
		if size, err = io.Copy(tmp, r); err != nil {
			return 0, err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		r = tmp
	}
	h := http.Header{"Cache-Control": {"public, max-age=31536000, immutable"}}
	if t, ok := TypeByExt(path.Ext(key)); ok {
		h.Set("Content-Type", t.MIME)
		if t.Kind != "image" {
			h.Set("Content-Disposition", "inline")
		}
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	if err := s.client.putObject(ctx, key, r, size, h); err != nil {
		return 0, fmt.Errorf("media s3: put %s: %w", key, err)
	}
	return size, nil
}

// Open returns the object for reading (fs.ErrNotExist when missing): a
// HEAD here learns its size, time and ETag; reads are (ranged) GETs.
func (s *S3Store) Open(ctx context.Context, key string) (StoredFile, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("media: invalid key %q: %w", key, fs.ErrNotExist)
	}
	info, err := s.client.statObject(ctx, key)
	if err != nil {
		return nil, s.mapErr(key, err)
	}
	return &s3File{c: s.client, ctx: ctx, key: key, info: info}, nil
}

func (s *S3Store) mapErr(key string, err error) error {
	switch s3Code(err) {
	case "NoSuchKey":
		return fs.ErrNotExist
	case "NoSuchBucket":
		return fmt.Errorf("media s3: bucket %s is gone: %w", s.where(), err)
	}
	return fmt.Errorf("media s3: get %s: %w", key, err)
}

// Delete removes an object; a missing one is not an error (S3 answers a
// DELETE of a missing key with success).
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return nil
	}
	if err := s.client.removeObject(ctx, key); err != nil {
		if s3Code(err) == "NoSuchKey" {
			return nil
		}
		return fmt.Errorf("media s3: delete %s: %w", key, err)
	}
	return nil
}

// URL is the public URL of key under PublicURL, "" without one.
func (s *S3Store) URL(key string) string {
	if s.opts.PublicURL == "" {
		return ""
	}
	return s.opts.PublicURL + "/" + key
}

// Redirect is where a client is sent to read key: under PublicURL, else a
// presigned GET URL valid for PresignExpiry. ttl is how long the answer
// may be cached (0: as long as the file, it never changes).
func (s *S3Store) Redirect(ctx context.Context, key string) (u string, ttl time.Duration, err error) {
	if pu := s.URL(key); pu != "" {
		return pu, 0, nil
	}
	p, err := s.client.presignGet(key, s.opts.PresignExpiry)
	if err != nil {
		return "", 0, fmt.Errorf("media s3: presign %s: %w", key, err)
	}
	// Half the validity: a cached redirect still works when followed.
	return p, s.opts.PresignExpiry / 2, nil
}

// Origins are the origins (scheme://host[:port]) clients are sent to for
// the objects: that of the presigned URLs when presigned is true, and that
// of PublicURL when set; for the Content-Security-Policy of pages that show
// them.
func (s *S3Store) Origins(presigned bool) []string {
	var out []string
	add := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			o := u.Scheme + "://" + u.Host
			for _, x := range out {
				if x == o {
					return
				}
			}
			out = append(out, o)
		}
	}
	if s.opts.PublicURL != "" {
		add(s.opts.PublicURL)
	}
	if presigned {
		// Presigning is computed locally (the region is configured): the
		// host is the endpoint, or bucket.endpoint in virtual-hosted style.
		if u, err := s.client.presignGet("origin-probe", time.Minute); err == nil {
			add(u)
		}
	}
	return out
}

// Walk calls fn with the key and size of every object (tools: migration,
// counts). It stops at fn's first error.
func (s *S3Store) Walk(ctx context.Context, fn func(key string, size int64) error) error {
	stopped := false // by fn: its error is passed on as it is
	err := s.client.listObjects(ctx, func(key string, size int64) error {
		err := fn(key, size)
		stopped = err != nil
		return err
	})
	if err != nil && !stopped {
		return fmt.Errorf("media s3: list %s: %w", s.where(), err)
	}
	return err
}

// s3File is an open object: its size, time and ETag come from a HEAD at
// Open; reads are GETs made when needed. Read streams one GET from the
// offset and keeps it while reads follow on; a Seek elsewhere ends it, and
// ReadAt reads ranges. That is what http.ServeContent needs for Range
// requests. Every GET after the HEAD asks for the same ETag (If-Match), so
// that a file never mixes two versions of an object.
type s3File struct {
	c    *s3Client
	ctx  context.Context
	key  string
	info s3ObjectInfo

	mu     sync.Mutex
	pos    int64         // the offset of the next Read
	body   io.ReadCloser // the GET that Read reads, nil when none
	bodyAt int64         // the offset of body's next byte
	closed bool
	blocks []s3Block // ReadAt's cache, oldest first
}

func (f *s3File) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	if f.pos >= f.info.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.body != nil && f.bodyAt != f.pos {
		f.body.Close()
		f.body = nil
	}
	if f.body == nil {
		b, err := f.c.getObject(f.ctx, f.key, f.pos, -1, f.info.ETag)
		if err != nil {
			return 0, err
		}
		f.body, f.bodyAt = b, f.pos
	}
	n, err := f.body.Read(p[:min(int64(len(p)), f.info.Size-f.pos)])
	f.pos += int64(n)
	f.bodyAt = f.pos
	if err == io.EOF {
		f.body.Close()
		f.body = nil
		if f.pos < f.info.Size {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	if err != nil {
		f.body.Close()
		f.body = nil
		return n, err
	}
	return n, nil
}

// Seek moves the offset of Read; it sends nothing. As a file's, an offset
// past the end is allowed (Read then answers io.EOF).
func (f *s3File) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.info.Size
	default:
		return 0, fmt.Errorf("media s3: seek: invalid whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("media s3: seek to a negative offset %d", offset)
	}
	f.pos = offset
	return offset, nil
}

// Close ends the GET under way, if any.
func (f *s3File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return os.ErrClosed
	}
	f.closed = true
	f.blocks = nil
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
	return nil
}

// ReadAt reads through a small cache of blocks: probing a video reads many
// small headers, and each read of the object is a request to the server.
func (f *s3File) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at < 0 || at >= f.info.Size {
			return n, io.EOF
		}
		b, err := f.block(at / s3BlockSize)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b[at%s3BlockSize:])
	}
	return n, nil
}

const (
	s3BlockSize = 256 << 10
	s3Blocks    = 8 // at most 2 MiB cached per open file, and only for ReadAt
)

type s3Block struct {
	i int64
	b []byte
}

func (f *s3File) block(i int64) ([]byte, error) {
	for _, c := range f.blocks {
		if c.i == i {
			return c.b, nil
		}
	}
	start := i * s3BlockSize
	b := make([]byte, min(s3BlockSize, f.info.Size-start))
	body, err := f.c.getObject(f.ctx, f.key, start, start+int64(len(b))-1, f.info.ETag)
	if err != nil {
		return nil, err
	}
	_, err = io.ReadFull(body, b)
	body.Close()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(f.blocks) == s3Blocks {
		f.blocks = f.blocks[1:]
	}
	f.blocks = append(f.blocks, s3Block{i, b})
	return b, nil
}

func (f *s3File) Size() int64        { return f.info.Size }
func (f *s3File) ModTime() time.Time { return f.info.LastModified }

// ETag is the object's entity tag, quoted as HTTP wants it.
func (f *s3File) ETag() string {
	if f.info.ETag == "" {
		return ""
	}
	return `"` + strings.Trim(f.info.ETag, `"`) + `"`
}
