package model

// Status is the state of a binding, booking, meeting request or push.
type Status string

const (
	StatusPending   Status = "pending"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusRevoked   Status = "revoked"
	StatusConfirmed Status = "confirmed"
	StatusCancelled Status = "cancelled"
	StatusCompleted Status = "completed"
	StatusNoShow    Status = "no_show"

	// A complaint's states (ComplaintMachine).
	StatusSubmitted    Status = "submitted"
	StatusAcknowledged Status = "acknowledged"
	StatusTransferred  Status = "transferred"
	StatusResolved     Status = "resolved"

	StatusQueued    Status = "queued"
	StatusSending   Status = "sending"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusFailed    Status = "failed"
)

var statusLabels = map[Status]string{
	StatusPending:   "待审核",
	StatusApproved:  "已通过",
	StatusRejected:  "已驳回",
	StatusRevoked:   "已解除",
	StatusConfirmed: "已确认",
	StatusCancelled: "已取消",
	StatusCompleted: "已完成",
	StatusNoShow:    "未到场",
	StatusQueued:    "待发送",
	StatusSending:   "发送中",
	StatusSent:      "已发送",
	StatusDelivered: "已送达",
	StatusFailed:    "发送失败",
}

// Label is the Chinese name of the status shown to people.
func (s Status) Label() string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// Machine is a state machine: for each state, the states it may move to.
type Machine map[Status][]Status

// Can reports whether from → to is an allowed transition.
func (m Machine) Can(from, to Status) bool {
	for _, s := range m[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Sources lists every state from which to may be reached; a guarded UPDATE
// uses it as its WHERE status IN (...) condition.
func (m Machine) Sources(to Status) []Status {
	var out []Status
	for from, tos := range m {
		for _, s := range tos {
			if s == to {
				out = append(out, from)
			}
		}
	}
	return out
}

// The state machines of docs/design.md §3.
var (
	BindingMachine = Machine{
		// A pending request its owner withdraws is cancelled.
		StatusPending:  {StatusApproved, StatusRejected, StatusCancelled},
		StatusApproved: {StatusRevoked},
	}
	ReviewMachine = Machine{
		StatusPending:   {StatusConfirmed, StatusRejected, StatusCancelled},
		StatusConfirmed: {StatusCancelled, StatusCompleted, StatusNoShow},
	}
	MeetingMachine = Machine{
		StatusPending:   {StatusConfirmed, StatusRejected, StatusCancelled},
		StatusConfirmed: {StatusCancelled},
	}
	// A complaint is acknowledged (受理) by the unit it is with, which may
	// instead transfer it to another unit (whose staff then acknowledge
	// it); only an acknowledged complaint gets its result.
	ComplaintMachine = Machine{
		StatusSubmitted:    {StatusAcknowledged, StatusTransferred},
		StatusTransferred:  {StatusAcknowledged, StatusTransferred},
		StatusAcknowledged: {StatusTransferred, StatusResolved},
	}
	PushMachine = Machine{
		StatusQueued:  {StatusSending},
		StatusSending: {StatusSent, StatusQueued, StatusFailed},
		StatusSent:    {StatusDelivered, StatusFailed},
		StatusFailed:  {StatusQueued}, // staff retry
	}
)

// Live reports whether a binding, booking or meeting in this state still
// occupies its "one live per user and case" place.
func (s Status) Live() bool {
	return s == StatusPending || s == StatusApproved || s == StatusConfirmed
}

// StatusLabels is every status with its Chinese name.
func StatusLabels() map[string]string {
	out := make(map[string]string, len(statusLabels))
	for s, l := range statusLabels {
		out[string(s)] = l
	}
	return out
}
