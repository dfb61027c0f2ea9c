package model

import "time"

// EfileRequest is a lawyer's request for online file review (互联网阅卷):
// staff attach the electronic file (EfileFile) and approve it with an
// expiry and a download limit per file; each download is a fresh
// watermarked, password-protected copy (EfileDownload).
type EfileRequest struct {
	ID        uint64     `gorm:"primaryKey" json:"id"`
	BindingID uint64     `gorm:"not null;index" json:"binding_id"`
	UserID    uint64     `gorm:"not null;index" json:"-"`
	CaseID    uint64     `gorm:"not null;index" json:"case_id"`
	Note      string     `gorm:"size:500" json:"note"`
	UnitID    uint64     `gorm:"not null;default:0;index:idx_efile_queue,priority:2" json:"-"` // the case's unit
	Status    Status     `gorm:"size:16;not null;index;index:idx_efile_queue,priority:1" json:"status"`
	ReplyBy   time.Time  `gorm:"not null" json:"reply_by"`
	Reason    string     `gorm:"size:500" json:"reason,omitempty"`
	DecidedBy *uint64    `json:"-"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	// ExpiresAt ends the downloads of an approved request; DownloadLimit
	// is how many copies of each file the lawyer may download.
	ExpiresAt     *time.Time `gorm:"index" json:"expires_at,omitempty"`
	DownloadLimit int        `gorm:"not null;default:0" json:"download_limit"`
	// PasswordEnc is the download password (sealed), set on approval.
	PasswordEnc []byte `gorm:"type:varbinary(128)" json:"-"`
	// PasswordSentAt is when a separate channel (SMS) delivered the
	// password; until then the H5 page shows it once per fresh login.
	PasswordSentAt *time.Time `json:"-"`
	// PasswordShownLogin is the start of the H5 session that last saw the
	// password: a later login may see it once more, that session never again.
	PasswordShownLogin *time.Time `json:"-"`
	// RemindedAt marks the "expiring in two days" push as queued (see
	// ReviewBooking.RemindedAt).
	RemindedAt *time.Time `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// EfileFile is one PDF of an online file review, kept in the file store
// as staff uploaded it; Downloads counts the copies handed out.
type EfileFile struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	RequestID uint64    `gorm:"not null;index" json:"request_id"`
	Name      string    `gorm:"size:200;not null" json:"name"`
	FileKey   string    `gorm:"size:128;not null" json:"-"`
	Size      int64     `gorm:"not null" json:"size"`
	Pages     int       `gorm:"not null" json:"pages"`
	Downloads int       `gorm:"not null;default:0" json:"downloads"`
	CreatedBy *uint64   `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// EfileDownload records one download: who, when, which file, from where.
type EfileDownload struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	RequestID uint64 `gorm:"not null;index:idx_efile_download,priority:1" json:"request_id"`
	FileID    uint64 `gorm:"not null" json:"file_id"`
	// FileName is the file's name at the download: the log outlives the
	// file, which retention removes after the request ended.
	FileName string    `gorm:"size:200" json:"file_name"`
	UserID   uint64    `gorm:"not null;index" json:"-"`
	IP       string    `gorm:"size:64" json:"ip"`
	At       time.Time `gorm:"not null;index:idx_efile_download,priority:2" json:"at"`
}
