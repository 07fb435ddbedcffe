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

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
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
	client s3Client
	opts   S3Options
}

// s3Client is the part of minio's client the store calls, as function
// values. Not *minio.Client: the store is used through an interface, and a
// type reaching *minio.Client from there makes the linker keep all its
// exported methods and the types they name (text/template, which looks
// methods up by name, turns off their pruning), about 2 MB of the binary.
type s3Client struct {
	bucketExists func(ctx context.Context, bucket string) (bool, error)
	makeBucket   func(ctx context.Context, bucket string, o minio.MakeBucketOptions) error
	putObject    func(ctx context.Context, bucket, key string, r io.Reader, size int64, o minio.PutObjectOptions) (minio.UploadInfo, error)
	getObject    func(ctx context.Context, bucket, key string, o minio.GetObjectOptions) (*minio.Object, error)
	removeObject func(ctx context.Context, bucket, key string, o minio.RemoveObjectOptions) error
	presignGet   func(ctx context.Context, bucket, key string, expiry time.Duration, params url.Values) (*url.URL, error)
	listObjects  func(ctx context.Context, bucket string, o minio.ListObjectsOptions) <-chan minio.ObjectInfo
}

// NewS3Store makes the client; it does not talk to the server (Check does).
func NewS3Store(o S3Options) (*S3Store, error) {
	lookup := minio.BucketLookupDNS
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:       o.UseTLS,
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    o.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("media s3 endpoint %q: %w", o.Endpoint, err)
	}
	if o.PresignExpiry <= 0 {
		o.PresignExpiry = 10 * time.Minute
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &S3Store{opts: o, client: s3Client{
		bucketExists: c.BucketExists, makeBucket: c.MakeBucket, putObject: c.PutObject, getObject: c.GetObject,
		removeObject: c.RemoveObject, presignGet: c.PresignedGetObject, listObjects: c.ListObjects,
	}}, nil
}

// Bucket is the bucket's name.
func (s *S3Store) Bucket() string { return s.opts.Bucket }

// Check makes sure the bucket exists and is reachable with the credentials;
// with create it makes a missing bucket.
func (s *S3Store) Check(ctx context.Context, create bool) error {
	where := s.where()
	ok, err := s.client.bucketExists(ctx, s.opts.Bucket)
	if err != nil {
		return fmt.Errorf("media s3: cannot reach bucket %s: %w", where, err)
	}
	if ok {
		return nil
	}
	if !create {
		return fmt.Errorf("media s3: bucket %s does not exist (create it, or set media.s3.create_bucket = true)", where)
	}
	if err := s.client.makeBucket(ctx, s.opts.Bucket, minio.MakeBucketOptions{Region: s.opts.Region}); err != nil {
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
	opts := minio.PutObjectOptions{
		CacheControl:     "public, max-age=31536000, immutable",
		DisableMultipart: true,
	}
	if t, ok := TypeByExt(path.Ext(key)); ok {
		opts.ContentType = t.MIME
		if t.Kind != "image" {
			opts.ContentDisposition = "inline"
		}
	} else {
		opts.ContentType = "application/octet-stream"
	}
	info, err := s.client.putObject(ctx, s.opts.Bucket, key, r, size, opts)
	if err != nil {
		return 0, fmt.Errorf("media s3: put %s: %w", key, err)
	}
	return info.Size, nil
}

// Open returns the object for reading (fs.ErrNotExist when missing). Reads
// and seeks turn into (ranged) GETs; the first one is made here.
func (s *S3Store) Open(ctx context.Context, key string) (StoredFile, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("media: invalid key %q: %w", key, fs.ErrNotExist)
	}
	obj, err := s.client.getObject(ctx, s.opts.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.mapErr(key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, s.mapErr(key, err)
	}
	return &s3File{Object: obj, info: info}, nil
}

func (s *S3Store) mapErr(key string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey:
		return fs.ErrNotExist
	case minio.NoSuchBucket:
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
	if err := s.client.removeObject(ctx, s.opts.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
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
	p, err := s.client.presignGet(ctx, s.opts.Bucket, key, s.opts.PresignExpiry, url.Values{})
	if err != nil {
		return "", 0, fmt.Errorf("media s3: presign %s: %w", key, err)
	}
	// Half the validity: a cached redirect still works when followed.
	return p.String(), s.opts.PresignExpiry / 2, nil
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
		if u, err := s.client.presignGet(context.Background(), s.opts.Bucket, "origin-probe", time.Minute, nil); err == nil {
			add(u.String())
		}
	}
	return out
}

// Walk calls fn with the key and size of every object (tools: migration,
// counts). It stops at fn's first error.
func (s *S3Store) Walk(ctx context.Context, fn func(key string, size int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range s.client.listObjects(ctx, s.opts.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("media s3: list %s: %w", s.where(), o.Err)
		}
		if err := fn(o.Key, o.Size); err != nil {
			return err
		}
	}
	return nil
}

// s3File is an open object: minio's Object reads lazily and seeks by
// ranged GETs, which is what http.ServeContent needs for Range requests.
type s3File struct {
	*minio.Object
	info minio.ObjectInfo

	mu     sync.Mutex
	blocks []s3Block // ReadAt's cache, oldest first
}

// ReadAt reads through a small cache of blocks: probing a video reads many
// small headers, and each read of the object is a request to the server.
func (f *s3File) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
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
	n, err := f.Object.ReadAt(b, start)
	if n < len(b) {
		if err == nil || err == io.EOF {
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
