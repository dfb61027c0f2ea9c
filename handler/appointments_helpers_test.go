package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
)

// The fixture's calendar: handlertest.Start is Wednesday 2026-12-02, 10:00
// in Beijing; "tomorrow" is Thursday.
const (
	wednesday = "2026-12-02"
	thursday  = "2026-12-03"
	friday    = "2026-12-04"
)

var beijing = time.FixedZone("CST", 8*3600)

// at is a wall-clock time in Beijing: at(thursday, "09:30").
func at(date, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, beijing)
	if err != nil {
		panic(err)
	}
	return t
}

// apptFixture drives the appointment API as lawyers and a case manager.
type apptFixture struct {
	*handlertest.Env
	t     *testing.T
	staff handlertest.Caller

	mu       sync.Mutex
	sessions map[string]session // by "user:openid" / "staff:id"
}

// session is a caller's session and the clock time it was opened at.
type session struct {
	caller handlertest.Caller
	at     time.Time
}

// sessionRefresh is how long (on the test clock) a session is used before
// the fixture opens a new one: the tests move the clock by hours and days,
// past the sessions' idle timeouts, which are not what they test.
const sessionRefresh = 10 * time.Minute

func newApptFixture(t *testing.T) *apptFixture {
	return apptFixtureOn(t, handlertest.New(t))
}

func apptFixtureOn(t *testing.T, env *handlertest.Env) *apptFixture {
	f := &apptFixture{Env: env, t: t, sessions: map[string]session{}}
	f.staff = f.LoginStaff(model.StaffCaseManager)
	return f
}

// LoginStaff is Env.LoginStaff whose session the fixture keeps fresh.
func (f *apptFixture) LoginStaff(role string) handlertest.Caller {
	return f.remember(f.Env.LoginStaff(role))
}

// LoginUser is Env.LoginUser whose session the fixture keeps fresh.
func (f *apptFixture) LoginUser(openid string) handlertest.Caller {
	return f.remember(f.Env.LoginUser(openid))
}

func sessionKey(u handlertest.Caller) string {
	if u.StaffID != 0 {
		return fmt.Sprintf("staff:%d", u.StaffID)
	}
	return "user:" + u.OpenID
}

func (f *apptFixture) remember(u handlertest.Caller) handlertest.Caller {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[sessionKey(u)] = session{u, f.Clock.Now()}
	return u
}

// Do is Env.Do with the caller's session renewed when the clock has moved.
func (f *apptFixture) Do(u handlertest.Caller, method, path string, body any) handlertest.Response {
	return f.Env.Do(f.current(u), method, path, body)
}

func (f *apptFixture) current(u handlertest.Caller) handlertest.Caller {
	if u.StaffID == 0 && u.OpenID == "" {
		return u
	}
	now := f.Clock.Now()
	f.mu.Lock()
	s, ok := f.sessions[sessionKey(u)]
	f.mu.Unlock()
	if ok && !now.Before(s.at) && now.Sub(s.at) < sessionRefresh {
		return s.caller
	}
	if u.OpenID != "" {
		return f.LoginUser(u.OpenID)
	}
	var st model.Staff
	if err := f.DB.Take(&st, u.StaffID).Error; err != nil {
		f.t.Fatalf("load staff: %v", err)
	}
	id, sess, err := f.Svc.NewStaffSession(context.Background(), st)
	if err != nil {
		f.t.Fatalf("staff session: %v", err)
	}
	return f.remember(handlertest.Caller{Cookie: &http.Cookie{Name: "zsjc_staff", Value: id}, CSRF: sess.CSRFToken, StaffID: st.ID})
}

// expect fails the test unless r answered code.
func (f *apptFixture) expect(code int, r handlertest.Response) handlertest.Response {
	f.t.Helper()
	if r.Code != code {
		f.t.Fatalf("status %d, want %d: %s%s", r.Code, code, r.Body, f.serverErrors(r))
	}
	return r
}

// expectError fails the test unless r is an error with status and code.
func (f *apptFixture) expectError(status int, code string, r handlertest.Response) handlertest.Response {
	f.t.Helper()
	if r.Code != status || r.ErrorCode() != code {
		f.t.Fatalf("got %d %s, want %d %s: %s%s", r.Code, r.ErrorCode(), status, code, r.Body, f.serverErrors(r))
	}
	return r
}

// serverErrors returns the server's log of a 500, to explain the failure.
func (f *apptFixture) serverErrors(r handlertest.Response) string {
	if r.Code < http.StatusInternalServerError {
		return ""
	}
	var lines []string
	for _, line := range strings.Split(f.Logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			lines = append(lines, line)
		}
	}
	return "\nserver errors:\n" + strings.Join(lines, "\n")
}

func (f *apptFixture) newCase() uint64 {
	f.t.Helper()
	var root model.Unit
	if err := f.DB.Where("code = ?", model.RootUnitCode).Take(&root).Error; err != nil {
		f.t.Fatalf("root unit: %v", err)
	}
	c := model.Case{CaseNo: f.Unique("京检刑受〔2026〕"), Name: "测试案", Stage: "审查起诉", AcceptedAt: f.Clock.Now(), UnitID: root.ID}
	if err := f.DB.Create(&c).Error; err != nil {
		f.t.Fatalf("create case: %v", err)
	}
	return c.ID
}

// lawyer logs in a new WeChat user who holds an approved lawyer binding of
// every case given (inserted directly: bindings are another area's API).
func (f *apptFixture) lawyer(caseIDs ...uint64) handlertest.Caller {
	f.t.Helper()
	u := f.LoginUser(f.Unique("openid-lawyer-"))
	for _, id := range caseIDs {
		f.bind(u, id, model.RoleLawyer, model.StatusApproved)
	}
	return u
}

func (f *apptFixture) bind(u handlertest.Caller, caseID uint64, role string, status model.Status) {
	f.t.Helper()
	var c model.Case
	if err := f.DB.Select("id", "unit_id").Take(&c, caseID).Error; err != nil {
		f.t.Fatalf("case %d: %v", caseID, err)
	}
	b := model.Binding{UserID: u.UserID, CaseID: caseID, UnitID: c.UnitID, Role: role, Status: status}
	if status.Live() {
		b.LiveKey = model.LiveKey(u.UserID, caseID)
	}
	if err := f.DB.Create(&b).Error; err != nil {
		f.t.Fatalf("create binding: %v", err)
	}
}

// slot creates a reading-room slot, in a room of its own, through the staff API.
func (f *apptFixture) slot(date, period string, capacity int) uint64 {
	f.t.Helper()
	r := f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/review-slots",
		map[string]any{"date": date, "period": period, "room_id": f.room(f.Unique("第一阅卷室-")), "capacity": capacity}))
	return idOf(f.t, r)
}

// room creates a reading room of the (single) unit through the staff API.
func (f *apptFixture) room(name string) uint64 {
	f.t.Helper()
	return idOf(f.t, f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/rooms",
		map[string]any{"name": name, "address": name + "（一楼）"})))
}

func (f *apptFixture) book(u handlertest.Caller, caseID, slotID uint64) handlertest.Response {
	return f.Do(u, http.MethodPost, "/api/h5/reviews",
		map[string]any{"case_id": caseID, "slot_id": slotID, "copy_method": "复印", "note": "需复印起诉意见书"})
}

// booking books and returns the new booking's id.
func (f *apptFixture) booking(u handlertest.Caller, caseID, slotID uint64) uint64 {
	f.t.Helper()
	return idOf(f.t, f.expect(http.StatusCreated, f.book(u, caseID, slotID)))
}

// staffDo posts a staff action on a review or meeting.
func (f *apptFixture) staffDo(kind string, id uint64, action string, body any) handlertest.Response {
	return f.Do(f.staff, http.MethodPost, fmt.Sprintf("/api/staff/%s/%d/%s", kind, id, action), body)
}

func (f *apptFixture) booked(slotID uint64) int {
	f.t.Helper()
	var s model.ReviewSlot
	if err := f.DB.Take(&s, slotID).Error; err != nil {
		f.t.Fatalf("load slot: %v", err)
	}
	return s.Booked
}

// checkPlaces asserts the slot's invariant: booked counts exactly the
// bookings holding a place (pending, confirmed, completed, no-show), never
// more than the capacity; and only live bookings keep their unique keys.
func (f *apptFixture) checkPlaces(slotID uint64) {
	f.t.Helper()
	var rows []model.ReviewBooking
	if err := f.DB.Where("slot_id = ?", slotID).Find(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	holding := 0
	for _, b := range rows {
		switch b.Status {
		case model.StatusPending, model.StatusConfirmed, model.StatusCompleted, model.StatusNoShow:
			holding++
		}
		if live := b.Status.Live(); live != (b.LiveKey != nil) || live != (b.SlotKey != nil) {
			f.t.Errorf("booking %d in %s: live_key %v slot_key %v", b.ID, b.Status, b.LiveKey, b.SlotKey)
		}
	}
	var s model.ReviewSlot
	if err := f.DB.Take(&s, slotID).Error; err != nil {
		f.t.Fatal(err)
	}
	if s.Booked != holding || s.Booked > s.Capacity {
		f.t.Fatalf("slot %d: booked %d, capacity %d, bookings holding a place %d", slotID, s.Booked, s.Capacity, holding)
	}
}

func (f *apptFixture) reviewStatus(id uint64) model.Status {
	f.t.Helper()
	var b model.ReviewBooking
	if err := f.DB.Take(&b, id).Error; err != nil {
		f.t.Fatal(err)
	}
	return b.Status
}

func (f *apptFixture) meetingStatus(id uint64) model.Status {
	f.t.Helper()
	var m model.MeetingRequest
	if err := f.DB.Take(&m, id).Error; err != nil {
		f.t.Fatal(err)
	}
	return m.Status
}

// pushes counts the outbox rows whose dedup key starts with prefix.
func (f *apptFixture) pushes(prefix string) int64 {
	f.t.Helper()
	var n int64
	if err := f.DB.Model(&model.PushMessage{}).Where("dedup_key LIKE ?", prefix+"%").Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

// meeting files a meeting request with two preferred times on Thursday.
func (f *apptFixture) meeting(u handlertest.Caller, caseID uint64) uint64 {
	f.t.Helper()
	return idOf(f.t, f.expect(http.StatusCreated, f.Do(u, http.MethodPost, "/api/h5/meetings", map[string]any{
		"case_id": caseID, "type": "约见承办检察官", "note": "提交辩护意见",
		"preferred_times": []string{at(thursday, "10:00").Format(time.RFC3339), at(thursday, "15:00").Format(time.RFC3339)},
	})))
}

func idOf(t *testing.T, r handlertest.Response) uint64 {
	t.Helper()
	var v struct {
		ID uint64 `json:"id"`
	}
	r.JSON(t, &v)
	if v.ID == 0 {
		t.Fatalf("no id in %s", r.Body)
	}
	return v.ID
}

// errorMessage is error.message of an error body.
func errorMessage(t *testing.T, r handlertest.Response) string {
	t.Helper()
	var b struct {
		Error struct {
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &b)
	return b.Error.Message + fieldsText(b.Error.Fields)
}

func fieldsText(fields map[string]string) string {
	var sb strings.Builder
	for k, v := range fields {
		fmt.Fprintf(&sb, " %s=%s", k, v)
	}
	return sb.String()
}
