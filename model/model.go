// Package model holds the domain: entities with their database mapping,
// state machines and domain errors. It knows GORM (for tags and storage) but
// nothing of HTTP, Redis or WeChat.
package model

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Roles of a binding.
const (
	RoleLawyer = "lawyer"
	RoleParty  = "party"
)

// Staff roles.
const (
	StaffAdmin       = "admin"
	StaffCaseManager = "case_manager"
	StaffProsecutor  = "prosecutor"
	// StaffComplaints handle the complaints (控告申诉) of their scope.
	StaffComplaints = "complaints"
)

// StaffRoles lists every staff role.
var StaffRoles = []string{StaffAdmin, StaffCaseManager, StaffProsecutor, StaffComplaints}

// Case is a criminal case (案件) as disclosed to its parties.
type Case struct {
	ID     uint64 `gorm:"primaryKey" json:"id"`
	CaseNo string `gorm:"size:64;not null;uniqueIndex" json:"case_no"` // 部门受案号
	Name   string `gorm:"size:200;not null" json:"name"`
	Type   string `gorm:"size:64" json:"type"`
	Cause  string `gorm:"size:200" json:"cause"` // 案由
	Unit   string `gorm:"size:200" json:"unit"`  // 承办单位/办案部门
	// UnitID is the procuratorate (院) the case belongs to: its staff
	// handle the case's bindings, reviews and meetings.
	UnitID uint64 `gorm:"not null;default:0;index" json:"-"`
	// Prosecutor is the handling prosecutor's name; ProsecutorID links the
	// staff account when the case was entered by staff.
	Prosecutor   string     `gorm:"size:64" json:"prosecutor"`
	ProsecutorID *uint64    `gorm:"index" json:"prosecutor_id,omitempty"` // a prosecutor's default case list
	AcceptedAt   time.Time  `gorm:"index" json:"accepted_at"`             // the statistics count cases by it
	Deadline     *time.Time `json:"deadline,omitempty"`                   // 办案期限
	Measure      string     `gorm:"size:64" json:"measure"`               // 强制措施
	Stage        string     `gorm:"size:64;not null" json:"stage"`
	Result       string     `gorm:"size:200" json:"result"` // 处理结果
	// Important marks 重要案件信息 published to everyone; Summary is its public text.
	Important bool   `gorm:"not null;default:false;index" json:"important"`
	Summary   string `gorm:"size:2000" json:"summary,omitempty"`
	// PublicTitle is the title staff chose to publish the case under; empty:
	// the name with the parties' names masked.
	PublicTitle string    `gorm:"size:200" json:"public_title,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	ID     uint64 `gorm:"primaryKey" json:"id"`
	CaseID uint64 `gorm:"not null;uniqueIndex:idx_case_event_ext,priority:1;index" json:"case_id"`
	// ExternalID is the case system's event id; it makes integration
	// deliveries idempotent. Empty (NULL) for staff-entered events.
	ExternalID  *string   `gorm:"size:64;uniqueIndex:idx_case_event_ext,priority:2" json:"event_id,omitempty"`
	Stage       string    `gorm:"size:64;not null" json:"stage"`
	Description string    `gorm:"size:1000" json:"description"`
	OccurredAt  time.Time `gorm:"not null" json:"occurred_at"`
	Source      string    `gorm:"size:16;not null" json:"source"` // staff | integration | import
	CreatedBy   *uint64   `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// Party is a person on a case's party list (当事人). The id number is kept
// only encrypted (IDNumberEnc) and as a keyed hash for matching.
type Party struct {
	ID           uint64    `gorm:"primaryKey" json:"id"`
	CaseID       uint64    `gorm:"not null;index:idx_party_match,priority:1" json:"case_id"`
	Name         string    `gorm:"size:64;not null" json:"name"`
	Role         string    `gorm:"size:32;not null" json:"role"`
	IDNumberEnc  []byte    `gorm:"type:varbinary(128)" json:"-"`
	IDNumberHash string    `gorm:"size:64;not null;index:idx_party_match,priority:2" json:"-"`
	IDNumberMask string    `gorm:"size:32" json:"id_number_masked"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Document is a published legal document (法律文书).
type Document struct {
	ID          uint64    `gorm:"primaryKey" json:"id"`
	CaseID      uint64    `gorm:"not null;index" json:"case_id"`
	DocNo       string    `gorm:"size:100" json:"doc_no"`
	Title       string    `gorm:"size:200;not null" json:"title"`
	Type        string    `gorm:"size:64" json:"type"`
	Public      bool      `gorm:"not null;default:false" json:"public"`
	FileKey     string    `gorm:"size:128;not null" json:"-"`
	FileName    string    `gorm:"size:200" json:"file_name"`
	ContentType string    `gorm:"size:64" json:"content_type"`
	Size        int64     `json:"size"`
	PublishedAt time.Time `json:"published_at"`
	CreatedBy   *uint64   `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	// WithdrawnAt marks a document staff withdrew: every query leaves it
	// out (GORM soft delete); the file and the audit row stay.
	WithdrawnAt gorm.DeletedAt `gorm:"index" json:"-"`
}

// WeChatUser is a follower of the official account, known by openid.
type WeChatUser struct {
	ID             uint64     `gorm:"primaryKey" json:"id"`
	OpenID         string     `gorm:"size:64;not null;uniqueIndex" json:"-"`
	UnionID        string     `gorm:"size:64;index" json:"-"`
	Subscribed     bool       `gorm:"not null;default:false" json:"subscribed"`
	SubscribedAt   *time.Time `json:"subscribed_at,omitempty"`
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
	// Scene is the last qrscene key the user followed or scanned with.
	Scene string `gorm:"size:64" json:"-"`
	// ErasedAt is when the user deleted their account: the row stays, so
	// case records keep their user id, but the openid is replaced by
	// ErasedOpenID and nothing else of the person is left on it.
	ErasedAt *time.Time `json:"-"`
	// PhoneEnc is the mobile number the user gave for SMS notices, sealed;
	// SMSConsent is their agreement to get them (a lawyer's profile phone
	// is used only with it too).
	PhoneEnc    []byte    `gorm:"type:varbinary(128)" json:"-"`
	PhoneMasked string    `gorm:"size:16" json:"-"`
	SMSConsent  bool      `gorm:"not null;default:false" json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ErasedOpenID is what an erased user's openid becomes: unique, naming no
// one, and never a WeChat openid (they hold no ':').
func ErasedOpenID(userID uint64) string { return fmt.Sprintf("erased:%d", userID) }

// Consent is a user's consent to one purpose of the privacy notice, kept as
// proof after it ends and after the account is deleted. Subject is a keyed
// hash of the user id (service.consentSubject), so the record shows that
// someone consented to which version and when, without naming the user.
type Consent struct {
	ID      uint64    `gorm:"primaryKey" json:"-"`
	Subject string    `gorm:"size:64;not null;index:idx_consent_subject,priority:1" json:"-"`
	Purpose string    `gorm:"size:32;not null;index:idx_consent_subject,priority:2" json:"purpose"`
	Version string    `gorm:"size:32;not null" json:"version"`
	GivenAt time.Time `gorm:"not null" json:"given_at"`
	// EndedAt is when the consent ended (nil: in force), EndReason why:
	// ConsentWithdrawn, ConsentRenewed or ConsentAccountDeleted.
	EndedAt   *time.Time `gorm:"index" json:"-"`
	EndReason string     `gorm:"size:16" json:"-"`
}

// Why a consent ended.
const (
	ConsentWithdrawn      = "withdrawn"
	ConsentRenewed        = "renewed" // given again to a newer notice
	ConsentAccountDeleted = "account_deleted"
)

// LawyerProfile is a lawyer's registration; the phone is kept encrypted.
type LawyerProfile struct {
	ID          uint64    `gorm:"primaryKey" json:"-"`
	UserID      uint64    `gorm:"not null;uniqueIndex" json:"-"`
	Name        string    `gorm:"size:64;not null" json:"name"`
	LicenseNo   string    `gorm:"size:17;not null;uniqueIndex" json:"license_no"` // 执业证号, one user each
	Firm        string    `gorm:"size:200;not null" json:"firm"`
	PhoneEnc    []byte    `gorm:"type:varbinary(128)" json:"-"`
	PhoneMasked string    `gorm:"size:16" json:"phone_masked"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Upload is a file a WeChat user uploaded as binding material.
type Upload struct {
	ID          uint64    `gorm:"primaryKey" json:"id"`
	UserID      uint64    `gorm:"not null;index" json:"-"`
	Kind        string    `gorm:"size:32" json:"kind"`
	FileKey     string    `gorm:"size:128;not null" json:"-"`
	FileName    string    `gorm:"size:200" json:"file_name"`
	ContentType string    `gorm:"size:64" json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
}

// Binding ties a WeChat user to a case as lawyer or party.
type Binding struct {
	ID     uint64 `gorm:"primaryKey" json:"id"`
	UserID uint64 `gorm:"not null;index" json:"-"`
	CaseID uint64 `gorm:"not null;index" json:"case_id"`
	// UnitID is the case's unit, copied so the unit's queue is one index
	// range; 0 for a number that matches no case (top-level units see it).
	UnitID uint64 `gorm:"not null;default:0;index:idx_binding_queue,priority:2" json:"-"`
	Role   string `gorm:"size:16;not null" json:"role"`
	Status Status `gorm:"size:16;not null;index;index:idx_binding_queue,priority:1" json:"status"`
	// CaseNo is the case number as the user entered it. A lawyer's request
	// for a number that matches no case is kept (CaseID 0) so the answer
	// does not reveal whether the case exists; staff reject it.
	CaseNo string `gorm:"size:64;not null;default:''" json:"case_no"`
	// LiveKey is "user:case" while the binding is pending or approved and
	// NULL otherwise; its unique index makes the database refuse a second
	// live binding of the same user and case.
	LiveKey   *string    `gorm:"size:64;uniqueIndex" json:"-"`
	PartyID   *uint64    `json:"-"`
	Reason    string     `gorm:"size:500" json:"reason,omitempty"`
	DecidedBy *uint64    `json:"-"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	// ReplyBy is when staff should have answered (a party's binding is
	// answered at once); AnsweredAt when they did (approved or rejected),
	// kept when the binding later ends. The statistics count on them.
	ReplyBy    *time.Time `json:"-"`
	AnsweredAt *time.Time `json:"-"`
	// LiftedAt is when staff lifted a revoked binding's block: until then
	// the user cannot bind that case again.
	LiftedAt  *time.Time `json:"lifted_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// BindingMaterial links a lawyer's binding to an uploaded document
// (委托书, 律所函, 执业证).
type BindingMaterial struct {
	BindingID uint64 `gorm:"primaryKey"`
	UploadID  uint64 `gorm:"primaryKey"`
}

// ReviewSlot is a half-day in a reading room with a number of places.
type ReviewSlot struct {
	ID     uint64 `gorm:"primaryKey" json:"id"`
	Date   string `gorm:"size:10;not null" json:"date"`  // YYYY-MM-DD, office time zone
	Period string `gorm:"size:8;not null" json:"period"` // am | pm
	// RoomID is the reading room (model.Room). A room has one slot per date
	// and period: the unique index idx_slot_room (date, period, room_id) is
	// created by the rooms upgrade step once existing slots have their rooms.
	RoomID    uint64    `gorm:"not null;default:0;index" json:"-"`
	StartTime string    `gorm:"size:5" json:"start_time"` // HH:MM
	EndTime   string    `gorm:"size:5" json:"end_time"`
	Capacity  int       `gorm:"not null" json:"capacity"`
	Booked    int       `gorm:"not null;default:0" json:"booked"`
	Closed    bool      `gorm:"not null;default:false" json:"closed"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ReviewBooking is a lawyer's file-review appointment (阅卷预约).
type ReviewBooking struct {
	ID         uint64 `gorm:"primaryKey" json:"id"`
	BindingID  uint64 `gorm:"not null;index" json:"binding_id"`
	UserID     uint64 `gorm:"not null;index" json:"-"`
	CaseID     uint64 `gorm:"not null;index" json:"case_id"`
	SlotID     uint64 `gorm:"not null;index" json:"slot_id"`
	UnitID     uint64 `gorm:"not null;default:0;index:idx_review_queue,priority:2" json:"-"` // the case's unit
	Status     Status `gorm:"size:16;not null;index;index:idx_review_queue,priority:1" json:"status"`
	CopyMethod string `gorm:"size:32" json:"copy_method"`
	Note       string `gorm:"size:500" json:"note"`
	// LiveKey ("user:case") and SlotKey ("user:slot") are set while the
	// booking is pending or confirmed: one live booking per lawyer and case,
	// and no lawyer in one slot twice (排期避让), enforced by unique indexes.
	LiveKey   *string    `gorm:"size:64;uniqueIndex" json:"-"`
	SlotKey   *string    `gorm:"size:64;uniqueIndex" json:"-"`
	ReplyBy   time.Time  `gorm:"not null" json:"reply_by"`
	Reason    string     `gorm:"size:500" json:"reason,omitempty"`
	DecidedBy *uint64    `json:"-"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	// RemindedAt marks the day-before reminder as queued; claiming it with a
	// guarded UPDATE is what makes the reminder go out once across instances.
	RemindedAt *time.Time `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// MeetingRequest is a lawyer's request to meet (申请会见).
type MeetingRequest struct {
	ID         uint64     `gorm:"primaryKey" json:"id"`
	BindingID  uint64     `gorm:"not null;index" json:"binding_id"`
	UserID     uint64     `gorm:"not null;index" json:"-"`
	CaseID     uint64     `gorm:"not null;index" json:"case_id"`
	Type       string     `gorm:"size:32;not null" json:"type"`
	Preferred1 time.Time  `json:"-"`
	Preferred2 time.Time  `json:"-"`
	Note       string     `gorm:"size:500" json:"note"`
	UnitID     uint64     `gorm:"not null;default:0;index:idx_meeting_queue,priority:2" json:"-"` // the case's unit
	Status     Status     `gorm:"size:16;not null;index;index:idx_meeting_queue,priority:1" json:"status"`
	Time       *time.Time `json:"time,omitempty"` // confirmed time
	Place      string     `gorm:"size:200" json:"place,omitempty"`
	ReplyBy    time.Time  `gorm:"not null" json:"reply_by"`
	Reason     string     `gorm:"size:500" json:"reason,omitempty"`
	DecidedBy  *uint64    `json:"-"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	RemindedAt *time.Time `json:"-"` // see ReviewBooking.RemindedAt
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Push kinds: each maps to a template in the configuration.
const (
	PushCaseEvent     = "case_event"
	PushBindingResult = "binding_result"
	PushReviewResult  = "review_result"
	PushMeetingResult = "meeting_result"
	PushReminder      = "reminder"
	// PushEfileResult tells an online file review's approval (with its
	// expiry) or rejection (with its reason); PushEfileExpiring warns two
	// days before an approved one expires.
	PushEfileResult   = "efile_result"
	PushEfileExpiring = "efile_expiring"
	// PushRatingInvite invites the owner of a handled request to rate it.
	PushRatingInvite = "rating_invite"
	// PushComplaintStep tells a complainant of each step of the complaint.
	PushComplaintStep = "complaint_step"
)

// Channels a push is sent on (PushMessage.Channel).
const (
	ChannelWeChatTemplate  = "wechat_template"
	ChannelWeChatSubscribe = "wechat_subscribe"
	ChannelSMS             = "sms"
)

// PushMessage is an outbox row: one message to one user on one channel.
type PushMessage struct {
	ID uint64 `gorm:"primaryKey" json:"id"`
	// OpenID names the recipient user; on the SMS channel the sender looks
	// the user's sealed phone number up by it, so a row never holds one.
	OpenID string `gorm:"size:64;not null;index" json:"-"`
	Kind   string `gorm:"size:32;not null" json:"kind"`
	// Channel is how the push goes out, chosen when it is queued.
	Channel string `gorm:"size:20;not null;default:wechat_template" json:"channel"`
	// UnitID is the unit of the case the push is about (0: none).
	UnitID uint64 `gorm:"not null;default:0;index" json:"-"`
	// DedupKey is "cause:recipient"; replaying a cause never adds a row.
	DedupKey string `gorm:"size:191;not null;uniqueIndex" json:"dedup_key"`
	// ClientMsgID is WeChat's idempotency key, fixed for the row's life.
	ClientMsgID string `gorm:"size:64;not null;uniqueIndex" json:"client_msg_id"`
	// Data holds the push's values as a JSON object; the worker maps them to
	// template fields at send time.
	Data          string     `gorm:"type:text" json:"data"`
	URL           string     `gorm:"size:512" json:"url"`
	Status        Status     `gorm:"size:16;not null;index:idx_push_due,priority:1" json:"status"`
	Attempts      int        `gorm:"not null;default:0" json:"attempts"`
	NextAttemptAt time.Time  `gorm:"not null;index:idx_push_due,priority:2" json:"next_attempt_at"`
	LeaseOwner    string     `gorm:"size:64" json:"-"`
	LeaseUntil    *time.Time `json:"-"`
	WeChatMsgID   int64      `gorm:"index" json:"wechat_msg_id,omitempty"`
	// ProviderMsgID is the id another provider gave the message (an SMS's
	// SerialNo).
	ProviderMsgID string     `gorm:"size:64" json:"provider_msg_id,omitempty"`
	LastError     string     `gorm:"size:512" json:"last_error,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Staff is a procuratorate staff account.
type Staff struct {
	ID          uint64 `gorm:"primaryKey" json:"id"`
	Username    string `gorm:"size:64;not null;uniqueIndex" json:"username"`
	DisplayName string `gorm:"size:64;not null" json:"display_name"`
	Role        string `gorm:"size:16;not null" json:"role"`
	// UnitID is the staff member's unit; their scope is it and every unit below.
	UnitID         uint64     `gorm:"not null;default:0;index" json:"-"`
	PasswordHash   string     `gorm:"size:255;not null" json:"-"`
	Disabled       bool       `gorm:"not null;default:false" json:"disabled"`
	FailedAttempts int        `gorm:"not null;default:0" json:"-"`
	LockedUntil    *time.Time `json:"locked_until,omitempty"`
	LastLoginAt    *time.Time `json:"last_login_at,omitempty"`
	// TOTPSecretEnc is the sealed TOTP secret (RFC 6238) of the second
	// login factor, TOTPEnrolledAt when it was confirmed; both nil until
	// the account enrols, and again after a reset.
	TOTPSecretEnc  []byte     `gorm:"column:totp_secret_enc;type:varbinary(128)" json:"-"`
	TOTPEnrolledAt *time.Time `gorm:"column:totp_enrolled_at" json:"-"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// StaffRecoveryCode is one of the single-use codes a staff member may give
// instead of a TOTP code, stored as a bcrypt hash; UsedAt is set once.
type StaffRecoveryCode struct {
	ID        uint64 `gorm:"primaryKey"`
	StaffID   uint64 `gorm:"not null;index"`
	Hash      string `gorm:"size:255;not null"`
	UsedAt    *time.Time
	CreatedAt time.Time
}

// AuditLog records who did what to which record, from where.
type AuditLog struct {
	ID        uint64  `gorm:"primaryKey" json:"id"`
	ActorID   *uint64 `gorm:"index" json:"actor_id,omitempty"`
	ActorName string  `gorm:"size:64" json:"actor"`
	// UnitID is the acting staff member's unit (0: the system), which
	// decides who may read the row.
	UnitID uint64    `gorm:"not null;default:0;index" json:"-"`
	Action string    `gorm:"size:64;not null;index" json:"action"`
	Target string    `gorm:"size:128" json:"target"`
	IP     string    `gorm:"size:64" json:"ip"`
	At     time.Time `gorm:"not null;index" json:"at"`
	Detail string    `gorm:"size:1000" json:"detail,omitempty"`
}

// WeChatCallback marks a WeChat callback as processed when the shared
// cache, which normally deduplicates callbacks, could not be reached; Key
// is the hashed dedup key, Reply the passive reply a retry gets again.
type WeChatCallback struct {
	Key       string    `gorm:"primaryKey;size:64"`
	Reply     string    `gorm:"size:2048"`
	CreatedAt time.Time `gorm:"not null;index"`
	// Pending: the event's change is not applied yet (see service).
	Pending bool `gorm:"not null;default:false"`
}

// Subscribe notice consents (SubscribeConsent.Status), as WeChat spells them.
const (
	ConsentAccept = "accept"
	ConsentReject = "reject"
)

// SubscribeConsent is a follower's answer for one subscribe-notice
// template (订阅通知): accepted in the popup, or refused there or later in
// WeChat's settings. ChangedAt is the time of the event that set it, so an
// older event arriving late does not undo a newer one.
type SubscribeConsent struct {
	OpenID     string    `gorm:"primaryKey;size:64"`
	TemplateID string    `gorm:"primaryKey;size:128"`
	Status     string    `gorm:"size:8;not null"`
	Scene      string    `gorm:"size:16"`
	ChangedAt  time.Time `gorm:"not null"`
	UpdatedAt  time.Time
}

// All lists every entity, in migration order.
func All() []any {
	return []any{
		&Unit{}, &Room{}, &UnitTally{},
		&Case{}, &CaseEvent{}, &Party{}, &Document{},
		&WeChatUser{}, &LawyerProfile{}, &Upload{},
		&Binding{}, &BindingMaterial{},
		&ReviewSlot{}, &ReviewBooking{}, &MeetingRequest{},
		&EfileRequest{}, &EfileFile{}, &EfileDownload{},
		&PushMessage{}, &Staff{}, &StaffRecoveryCode{}, &AuditLog{},
		&WeChatCallback{}, &Consent{}, &SubscribeConsent{},
		&MonthlyPlan{}, &ReportSnapshot{},
		&Complaint{}, &ComplaintStep{}, &ComplaintAttachment{}, &Rating{},
	}
}
