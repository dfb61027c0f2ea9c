package model

import "time"

// Complaint is a complaint or application (控告申诉: disclosure withheld or
// wrongly made, obstruction of a lawyer's rights, other) a WeChat user
// files against a unit. It is in the queue of the unit it is with
// (UnitID), which a transfer changes; the steps keep the trail.
type Complaint struct {
	ID       uint64 `gorm:"primaryKey" json:"id"`
	UserID   uint64 `gorm:"not null;index" json:"-"`
	UnitID   uint64 `gorm:"not null;index:idx_complaint_queue,priority:2" json:"-"`
	Category string `gorm:"size:32;not null" json:"category"`
	// CaseID is the case the complaint concerns, one the user may see; nil
	// for none.
	CaseID  *uint64 `gorm:"index" json:"case_id,omitempty"`
	Content string  `gorm:"type:text" json:"content"`
	Status  Status  `gorm:"size:16;not null;index:idx_complaint_queue,priority:1" json:"status"`
	// AcknowledgeBy is when the unit it is with must have acknowledged it
	// (7 days after it reached that unit); ResultBy when it must have its
	// result (the configured months after submission, kept on transfer).
	AcknowledgeBy  time.Time  `gorm:"not null" json:"acknowledge_by"`
	ResultBy       time.Time  `gorm:"not null" json:"result_by"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	Result         string     `gorm:"type:text" json:"result,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// ComplaintStep is one entry of a complaint's trail: submitted,
// acknowledged, transferred (to UnitID) or resolved.
type ComplaintStep struct {
	ID          uint64    `gorm:"primaryKey"`
	ComplaintID uint64    `gorm:"not null;index"`
	Action      Status    `gorm:"size:16;not null"`
	UnitID      uint64    `gorm:"not null;default:0"` // the unit the complaint is with after the step
	ActorID     *uint64   // the staff member; nil for the complainant
	Note        string    `gorm:"type:text"`
	At          time.Time `gorm:"not null"`
}

// ComplaintAttachment links a complaint to one of its complainant's uploads.
type ComplaintAttachment struct {
	ComplaintID uint64 `gorm:"primaryKey"`
	UploadID    uint64 `gorm:"primaryKey"`
}

// Rating is the owner's rating of one handled request (a binding, review,
// meeting or complaint): one per request, never changed, enforced by the
// unique index on (kind, request_id).
type Rating struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	Kind      string `gorm:"size:16;not null;uniqueIndex:idx_rating_request,priority:1" json:"kind"`
	RequestID uint64 `gorm:"not null;uniqueIndex:idx_rating_request,priority:2" json:"request_id"`
	UserID    uint64 `gorm:"not null;index" json:"-"`
	// UnitID is the request's unit when it was rated; the statistics count
	// the rating there.
	UnitID    uint64    `gorm:"not null;default:0;index" json:"-"`
	Stars     int       `gorm:"not null" json:"stars"`
	Tags      string    `gorm:"size:200" json:"-"` // comma-separated, from the fixed list
	Comment   string    `gorm:"size:300" json:"comment"`
	CreatedAt time.Time `gorm:"index" json:"created_at"`
}
