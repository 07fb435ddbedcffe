package model

import "time"

// Media processing states.
const (
	MediaReady      = 0 // files stored (or, for remote media, known by URL)
	MediaProcessing = 1 // upload accepted, processing pending
	MediaFailed     = 2 // processing failed
)

// MediaAttachment is an uploaded file or a remote attachment. StatusID is
// 0 until the upload is attached to a status.
type MediaAttachment struct {
	ID        int64
	AccountID int64
	StatusID  int64
	// HistoryStatusID is the status whose earlier versions show this
	// attachment after an edit removed it (StatusID is then 0); it is
	// deleted with that status.
	HistoryStatusID int64
	Position        int
	Type            string // image, gifv, video, audio, unknown
	ContentType     string // of the stored original
	FileKey         string // original ("" for uncached remote media)
	PreviewKey      string // preview image ("" when none)
	FileSize        int64
	Meta            MediaMeta
	Blurhash        string
	Description     string
	FocusX          float64
	FocusY          float64
	RemoteURL       string // remote attachments: where the file lives
	Processing      int
	CachedAt        *time.Time // remote: when the files were fetched
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Remote reports a remote attachment.
func (m *MediaAttachment) Remote() bool { return m.RemoteURL != "" }

// MediaMeta is Mastodon's meta of a MediaAttachment, minus focus.
type MediaMeta struct {
	Original *MediaSize `json:"original,omitempty"`
	Small    *MediaSize `json:"small,omitempty"`
	Length   string     `json:"length,omitempty"`
	Duration float64    `json:"duration,omitempty"`
	FPS      float64    `json:"fps,omitempty"`
	Size     string     `json:"size,omitempty"`
	Width    int        `json:"width,omitempty"`
	Height   int        `json:"height,omitempty"`
	Aspect   float64    `json:"aspect,omitempty"`
	Animated bool       `json:"animated,omitempty"`
}

// MediaSize is one rendition's dimensions, as Mastodon's meta.original.
type MediaSize struct {
	Width     int     `json:"width,omitempty"`
	Height    int     `json:"height,omitempty"`
	Size      string  `json:"size,omitempty"`
	Aspect    float64 `json:"aspect,omitempty"`
	Duration  float64 `json:"duration,omitempty"`
	FrameRate string  `json:"frame_rate,omitempty"`
}

// AccountMedia is an account's avatar or header file: uploaded (local
// accounts) or a cached copy of the remote image.
type AccountMedia struct {
	AccountID   int64
	Kind        string // "avatar" or "header"
	RemoteURL   string // remote accounts: the image's URL when cached
	FileKey     string
	ContentType string
	CachedAt    *time.Time
}

// CustomEmoji is a local (Domain "") or remote custom emoji.
type CustomEmoji struct {
	ID              int64
	Shortcode       string
	Domain          string
	URI             string // ActivityPub id (remote), "" for local
	ImageRemoteURL  string
	FileKey         string // "" until cached (remote)
	StaticKey       string // still image of an animated emoji ("" = FileKey)
	ContentType     string
	Category        string
	VisibleInPicker bool
	Disabled        bool
	CachedAt        *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// PreviewCard is a link preview built from a page's OpenGraph tags.
type PreviewCard struct {
	ID             int64
	URL            string
	Title          string
	Description    string
	Type           string // link, photo, video, rich
	AuthorName     string
	AuthorURL      string
	ProviderName   string
	ProviderURL    string
	HTML           string
	EmbedURL       string
	Language       string
	Width, Height  int
	ImageKey       string
	ImageRemoteURL string
	Blurhash       string
	PublishedAt    *time.Time
	FetchedAt      time.Time
	// Failed: the page could not be read or had nothing to show; no card.
	Failed bool
}
