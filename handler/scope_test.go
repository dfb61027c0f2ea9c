package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/pdfmark/pdfmarktest"
	"zsjc/service"
)

// unitRelations are the units, relative to the caller's unit u-own (a
// 市院 under the 省院 u-parent), that every scoped staff route is tried
// against: its own unit and the county below are in scope; the sibling
// city and the province above are not.
var unitRelations = []struct {
	name, code string
	inScope    bool
}{
	{"own", "u-own", true},
	{"child", "u-child", true},
	{"sibling", "u-sibling", false},
	{"parent", "u-parent", false},
}

// unitObjects are one object of every kind in one unit.
type unitObjects struct {
	unitID, caseID, bindingID, reviewID, meetingID, efileID, roomID, slotID, pushID, uploadID, staffID uint64
	applicantID                                                                                        uint64
}

// scopeFixture builds the unit tree and fills every unit with objects,
// each carrying its unit's code in a field the lists show.
func scopeFixture(t *testing.T, env *handlertest.Env) map[string]*unitObjects {
	ctx := context.Background()
	for _, u := range [][2]string{{"u-parent", "root"}, {"u-own", "u-parent"}, {"u-sibling", "u-parent"}, {"u-child", "u-own"}} {
		if _, err := env.Svc.CreateUnit(ctx, service.System, service.UnitInput{Code: &u[0], Name: &u[0], ParentCode: &u[1]}); err != nil {
			t.Fatal(err)
		}
	}
	objs := map[string]*unitObjects{}
	slotDate := env.Clock.Now().Add(72 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	for i, rel := range unitRelations {
		code := rel.code
		o := &unitObjects{}
		objs[code] = o
		var unit model.Unit
		if err := env.DB.Where("code = ?", code).Take(&unit).Error; err != nil {
			t.Fatal(err)
		}
		o.unitID = unit.ID
		now := env.Clock.Now()
		c := model.Case{CaseNo: "C-" + code, Name: "案" + code, Stage: "受理", AcceptedAt: now, UnitID: unit.ID}
		mustCreate(t, env, &c)
		o.caseID = c.ID
		lawyer := env.LoginUser("lawyer-" + code)
		applicant := env.LoginUser("applicant-" + code)
		mustCreate(t, env, &model.LawyerProfile{UserID: applicant.UserID, Name: "王律师", LicenseNo: fmt.Sprintf("1110120101%07d", i+1), Firm: "所"})
		approved := model.Binding{UserID: lawyer.UserID, CaseID: c.ID, UnitID: unit.ID, Role: model.RoleLawyer, Status: model.StatusApproved,
			CaseNo: c.CaseNo, LiveKey: model.LiveKey(lawyer.UserID, c.ID)}
		pending := model.Binding{UserID: applicant.UserID, CaseID: c.ID, UnitID: unit.ID, Role: model.RoleLawyer, Status: model.StatusPending,
			CaseNo: "B-" + code, LiveKey: model.LiveKey(applicant.UserID, c.ID)}
		mustCreate(t, env, &approved)
		mustCreate(t, env, &pending)
		o.bindingID = pending.ID
		r := env.Send(applicant, multipartRequest("/api/h5/uploads", map[string]string{"kind": "power_of_attorney"}, "委托书.pdf", pdfBytes(64)))
		if r.Code != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Code, r.Body)
		}
		o.uploadID = idOf(t, r)
		o.applicantID = applicant.UserID
		mustCreate(t, env, &model.BindingMaterial{BindingID: pending.ID, UploadID: o.uploadID})
		scopeComplaint(t, env, code, o)
		mustCreate(t, env, &model.Rating{Kind: "binding", RequestID: approved.ID, UserID: lawyer.UserID, UnitID: unit.ID, Stars: 4, Comment: "V-" + code})
		room := model.Room{UnitID: unit.ID, Name: "S-" + code, Capacity: 5}
		mustCreate(t, env, &room)
		o.roomID = room.ID
		slot := model.ReviewSlot{Date: slotDate, Period: "am", RoomID: room.ID, StartTime: "09:00", EndTime: "11:30", Capacity: 5, Booked: 1}
		mustCreate(t, env, &slot)
		o.slotID = slot.ID
		review := model.ReviewBooking{BindingID: approved.ID, UserID: lawyer.UserID, CaseID: c.ID, UnitID: unit.ID, SlotID: slot.ID,
			Status: model.StatusPending, CopyMethod: service.ReviewCopyMethods[0], Note: "R-" + code,
			LiveKey: model.LiveKey(lawyer.UserID, c.ID), SlotKey: model.LiveKey(lawyer.UserID, slot.ID), ReplyBy: now.Add(48 * time.Hour)}
		mustCreate(t, env, &review)
		o.reviewID = review.ID
		meeting := model.MeetingRequest{BindingID: approved.ID, UserID: lawyer.UserID, CaseID: c.ID, UnitID: unit.ID, Type: service.MeetingTypes[0],
			Preferred1: now.Add(96 * time.Hour), Preferred2: now.Add(120 * time.Hour), Note: "M-" + code, Status: model.StatusPending, ReplyBy: now.Add(48 * time.Hour)}
		mustCreate(t, env, &meeting)
		o.meetingID = meeting.ID
		efile := model.EfileRequest{BindingID: approved.ID, UserID: lawyer.UserID, CaseID: c.ID, UnitID: unit.ID, Note: "E-" + code,
			Status: model.StatusPending, ReplyBy: now.Add(48 * time.Hour)}
		mustCreate(t, env, &efile)
		o.efileID = efile.ID
		push := model.PushMessage{OpenID: lawyer.OpenID, Kind: model.PushBindingResult, UnitID: unit.ID, DedupKey: "P-" + code,
			ClientMsgID: "client-" + strconv.Itoa(i), Data: "{}", Status: model.StatusFailed, NextAttemptAt: now}
		mustCreate(t, env, &push)
		o.pushID = push.ID
		st, err := env.Svc.CreateStaff(ctx, service.System, service.NewStaff{Username: "s." + code, Role: model.StaffProsecutor,
			Password: handlertest.StaffPassword, UnitCode: code})
		if err != nil {
			t.Fatal(err)
		}
		o.staffID = st.ID
		if err := env.Svc.Audit(ctx, service.Actor{Name: "A-" + code, UnitID: unit.ID}, "test.mark", "unit:"+code, ""); err != nil {
			t.Fatal(err)
		}
	}
	return objs
}

func mustCreate(t *testing.T, env *handlertest.Env, row any) {
	t.Helper()
	if err := env.DB.Create(row).Error; err != nil {
		t.Fatalf("create %T: %v", row, err)
	}
}

// scopeComplaint files a complaint (with the applicant's upload attached)
// in the unit of o; each complaint route gets a fresh one, since a
// transfer takes it out of the caller's scope.
func scopeComplaint(t *testing.T, env *handlertest.Env, code string, o *unitObjects) uint64 {
	t.Helper()
	now := env.Clock.Now()
	c := model.Complaint{UserID: o.applicantID, UnitID: o.unitID, Category: "other", Content: "K-" + code, Status: model.StatusSubmitted,
		AcknowledgeBy: now.Add(7 * 24 * time.Hour), ResultBy: now.AddDate(0, 3, 0)}
	mustCreate(t, env, &c)
	mustCreate(t, env, &model.ComplaintAttachment{ComplaintID: c.ID, UploadID: o.uploadID})
	return c.ID
}

// scopeListMarkers names, per list route, the prefix its items carry
// before their unit's code (slots by their room's name).
var scopeListMarkers = map[string]string{
	"/cases": "C-", "/bindings": "B-", "/reviews": "R-", "/meetings": "M-", "/efile-requests": "E-", "/pushes": "P-",
	"/complaints": "K-", "/ratings": "V-",
	"/review-slots": "S-", "/rooms": "S-", "/users": "s.", "/audit": "A-", "/units": `"code":"`,
}

// scopeUnitFree are the staff routes with no unit dimension: the caller's
// own session. (Slot creation has one: the room_id it names.)
var scopeUnitFree = map[string]bool{
	"POST /logout": true, "GET /me": true, "POST /me/password": true,
}

// scopeAccountWide are the staff routes about the whole account, not a
// unit (the day's template quota): tried for the roles only.
var scopeAccountWide = map[string]bool{"GET /pushes/quota": true}

// TestScopeEveryStaffRoute walks every row of the staff access table for
// every role against objects of the caller's own unit, the unit below it,
// a sibling unit and the unit above it: a role the row does not allow
// gets 403 everywhere; an allowed role reaches the objects of its own and
// the child unit, and gets the same 404 as for an absent object for the
// sibling's and the parent's; lists hold exactly the in-scope units' rows;
// creating in a unit outside the scope is refused on its unit field.
func TestScopeEveryStaffRoute(t *testing.T) {
	pdfmarktest.Setup(t) // online file review checks uploads with pdfcpu
	env := handlertest.New(t)
	objs := scopeFixture(t, env)
	accounts := map[string]model.Staff{}
	for _, role := range model.StaffRoles {
		st, err := env.Svc.CreateStaff(context.Background(), service.System, service.NewStaff{Username: "caller." + role, Role: role,
			Password: handlertest.StaffPassword, UnitCode: "u-own"})
		if err != nil {
			t.Fatal(err)
		}
		accounts[role] = st
	}
	session := func(role string) handlertest.Caller {
		id, sess, err := env.Svc.NewStaffSession(context.Background(), accounts[role])
		if err != nil {
			t.Fatal(err)
		}
		return handlertest.Caller{Cookie: &http.Cookie{Name: "zsjc_staff", Value: id}, CSRF: sess.CSRFToken}
	}
	seq := 0
	for _, rt := range handler.StaffRoutes(env.Svc) {
		pattern := strings.TrimPrefix(rt.Path, "/api/staff")
		key := rt.Method + " " + pattern
		if scopeUnitFree[key] {
			continue
		}
		t.Run(key, func(t *testing.T) {
			for _, role := range model.StaffRoles {
				allowed := slices.Contains(rt.Roles, role)
				if scopeAccountWide[key] {
					r := env.Do(session(role), rt.Method, rt.Path, nil)
					if want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[allowed]; r.Code != want {
						t.Errorf("%s: %d %.300s, want %d", role, r.Code, r.Body, want)
					}
					continue
				}
				for _, rel := range unitRelations {
					seq++
					o := objs[rel.code]
					r := env.Send(session(role), scopeRequest(t, env, rt.Method, pattern, rel.code, o, seq))
					what := fmt.Sprintf("%s on the %s unit: %d %.300s", role, rel.name, r.Code, r.Body)
					_, isList := scopeListMarkers[pattern]
					isList = isList && rt.Method == http.MethodGet
					isCreate := rt.Method == http.MethodPost && !strings.Contains(pattern, ":")
					switch {
					case !allowed:
						if r.Code != http.StatusForbidden {
							t.Errorf("%s, want 403 (role not allowed)", what)
						}
					case r.Code >= 500 || r.Code == http.StatusUnauthorized || r.Code == http.StatusForbidden:
						t.Errorf("%s", what)
					case isList:
						marker := scopeListMarkers[pattern] + rel.code
						if r.Code != http.StatusOK || bytes.Contains(r.Body, []byte(marker)) != rel.inScope {
							t.Errorf("%s: the list should %s %q", what, map[bool]string{true: "hold", false: "not hold"}[rel.inScope], marker)
						}
					case isCreate:
						if (r.Code == http.StatusCreated) != rel.inScope || (!rel.inScope && r.Code != http.StatusUnprocessableEntity) {
							t.Errorf("%s, want 201 in scope and 422 outside", what)
						}
					case rel.inScope && r.Code == http.StatusNotFound:
						t.Errorf("%s, want the object reached", what)
					case !rel.inScope && r.Code != http.StatusNotFound:
						t.Errorf("%s, want 404 as for an absent object", what)
					}
				}
			}
		})
	}
}

// scopeRequest builds a request of the route aimed at unit code's objects:
// path parameters name them, bodies are valid so that only the scope can
// refuse the request.
func scopeRequest(t *testing.T, env *handlertest.Env, method, pattern, code string, o *unitObjects, seq int) *http.Request {
	t.Helper()
	ids := map[string]uint64{
		"/cases/": o.caseID, "/bindings/": o.bindingID, "/reviews/": o.reviewID, "/meetings/": o.meetingID, "/efile-requests/": o.efileID,
		"/review-slots/": o.slotID, "/rooms/": o.roomID, "/pushes/": o.pushID, "/uploads/": o.uploadID, "/users/": o.staffID,
	}
	path := pattern
	if strings.HasPrefix(pattern, "/complaints/:id") {
		path = strings.Replace(path, ":id", strconv.FormatUint(scopeComplaint(t, env, code, o), 10), 1)
		path = strings.Replace(path, ":upload_id", strconv.FormatUint(o.uploadID, 10), 1)
	}
	for prefix, id := range ids {
		if strings.HasPrefix(pattern, prefix+":id") {
			path = strings.Replace(path, ":id", strconv.FormatUint(id, 10), 1)
		}
	}
	path = strings.Replace(path, ":code", code, 1)
	path = strings.Replace(path, ":unit_code", code, 1)
	path = strings.Replace(path, ":month", env.Clock.Now().Format("2006-01"), 1)
	if strings.Contains(path, ":event_id") {
		ev := model.CaseEvent{CaseID: o.caseID, Stage: "受理", Description: "受理", OccurredAt: env.Clock.Now().Add(-time.Hour), Source: "staff"}
		mustCreate(t, env, &ev)
		path = strings.Replace(path, ":event_id", strconv.FormatUint(ev.ID, 10), 1)
	}
	if strings.Contains(path, ":doc_id") {
		doc := model.Document{CaseID: o.caseID, Title: "告知书", FileKey: "k", PublishedAt: env.Clock.Now()}
		mustCreate(t, env, &doc)
		path = strings.Replace(path, ":doc_id", strconv.FormatUint(doc.ID, 10), 1)
	}
	if strings.Contains(path, ":party_id") {
		p, err := env.Svc.AddParty(context.Background(), service.System, o.caseID,
			service.PartyInput{Name: "甲", Role: "犯罪嫌疑人", IDNumber: idNumber(seq)})
		if err != nil {
			t.Fatal(err)
		}
		path = strings.Replace(path, ":party_id", strconv.FormatUint(p.ID, 10), 1)
	}
	// Events and documents are made per request: correcting, deleting or
	// withdrawing one must not leave the next role nothing to reach.
	if strings.Contains(path, ":event_id") {
		ev := model.CaseEvent{CaseID: o.caseID, Stage: "受理", OccurredAt: env.Clock.Now(), Source: service.SourceStaff}
		mustCreate(t, env, &ev)
		path = strings.Replace(path, ":event_id", strconv.FormatUint(ev.ID, 10), 1)
	}
	if strings.Contains(path, ":doc_id") {
		doc := model.Document{CaseID: o.caseID, Title: "起诉书", Public: true, FileKey: fmt.Sprintf("k-%d", seq), PublishedAt: env.Clock.Now()}
		mustCreate(t, env, &doc)
		path = strings.Replace(path, ":doc_id", strconv.FormatUint(doc.ID, 10), 1)
	}
	if strings.Contains(path, ":") {
		t.Fatalf("route %s: no object for its parameters; teach scopeRequest", pattern)
	}
	if method == http.MethodGet {
		sep := "?"
		switch {
		case pattern == "/cases":
			path, sep = path+"?scope=unit", "&"
		case strings.HasPrefix(pattern, "/stats"), strings.HasPrefix(pattern, "/reports/"):
			path, sep = path+"?unit="+code, "&" // statistics name their unit in the query
		}
		return newRequest(method, "/api/staff"+path+sep+"page_size=100", nil)
	}
	if method == http.MethodPost && pattern == "/cases/:id/documents" {
		return multipartRequest("/api/staff"+path, map[string]string{"title": "起诉书"}, "起诉书.pdf", pdfBytes(64))
	}
	if method == http.MethodPost && pattern == "/efile-requests/:id/files" {
		return multipartRequest("/api/staff"+path, nil, "卷宗.pdf", pdfmarktest.Document(1))
	}
	// Friday 10:00 in the office: within the working hours meetings keep.
	future := env.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	// A room has one slot per date and period: each request its own day.
	slotDay := env.Clock.Now().AddDate(0, 0, 7+seq).Format("2006-01-02")
	bodies := map[string]any{
		"POST /cases":                     map[string]any{"case_no": fmt.Sprintf("N-%d", seq), "name": "新案", "accepted_at": "2026-11-01", "unit_code": code},
		"PUT /cases/:id":                  map[string]any{"name": "改名", "accepted_at": "2026-11-01"},
		"POST /cases/:id/events":          map[string]any{"stage": "审查起诉"},
		"POST /cases/:id/parties":         map[string]any{"name": "乙", "role": "被害人", "id_number": idNumber(10000 + seq)},
		"POST /bindings/:id/reject":       map[string]any{"reason": "材料不全"},
		"POST /bindings/:id/revoke":       map[string]any{"reason": "委托解除"},
		"POST /bindings/:id/lift":         map[string]any{"reason": "已核实可重新绑定"},
		"POST /reviews/:id/reject":        map[string]any{"reason": "另约时间"},
		"POST /meetings/:id/confirm":      map[string]any{"time": future, "place": "接待室"},
		"POST /meetings/:id/reject":       map[string]any{"reason": "另约时间"},
		"POST /efile-requests/:id/reject": map[string]any{"reason": "请现场阅卷"},
		"POST /users":                     map[string]any{"username": fmt.Sprintf("new.%d", seq), "role": model.StaffProsecutor, "password": handlertest.StaffPassword, "unit_code": code},
		"POST /users/:id/reset-password":  map[string]any{"password": "New-Passw0rd"},
		"POST /units":                     map[string]any{"code": fmt.Sprintf("new-%d", seq), "name": "新院", "parent_code": code},
		"PUT /units/:code":                map[string]any{"phone": "0791-1"},
		"PUT /cases/:id/events/:event_id": map[string]any{"stage": "审查起诉", "description": "更正"},
		"PUT /plans/:unit_code/:month":    map[string]any{"documents_planned": 3, "events_planned": 5},
		"POST /rooms":                     map[string]any{"unit_code": code, "name": fmt.Sprintf("新阅卷室 %d", seq)},
		"PUT /rooms/:id":                  map[string]any{"capacity": 3},
		"POST /review-slots":              map[string]any{"date": slotDay, "period": "pm", "room_id": o.roomID, "capacity": 2},
		"POST /review-slots/bulk":         map[string]any{"from": slotDay, "to": slotDay, "room_id": o.roomID, "capacity": 2},
		"POST /complaints/:id/transfer":   map[string]any{"unit_code": "root", "note": "请上级院办理"},
		"POST /complaints/:id/resolve":    map[string]any{"result": "已答复"},
	}
	body, found := bodies[method+" "+pattern]
	if !found {
		body = map[string]any{}
	}
	return newRequest(method, "/api/staff"+path, body)
}

// newRequest is a staff API request with a JSON body (nil: none).
func newRequest(method, path string, body any) *http.Request {
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req := httptest.NewRequest(method, path, &buf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// TestUnitsOfStaff: login and /me name the account's unit; an absent
// case's documents and parties are the same 404 as the case; a
// prosecutor's case list holds their own cases unless asked for the unit's.
func TestUnitsOfStaff(t *testing.T) {
	env := handlertest.New(t)
	objs := scopeFixture(t, env)
	r := env.Do(handlertest.Anonymous, http.MethodPost, "/api/staff/login", map[string]string{"username": "s.u-child", "password": handlertest.StaffPassword})
	var login struct {
		User struct{ Unit service.UnitRef } `json:"user"`
	}
	r.JSON(t, &login)
	if r.Code != http.StatusOK || login.User.Unit != (service.UnitRef{Code: "u-child", Name: "u-child"}) {
		t.Fatalf("login: %d %s", r.Code, r.Body)
	}
	clerk := env.LoginStaffIn(model.StaffCaseManager, "u-own")
	r = env.Do(clerk, http.MethodGet, "/api/staff/me", nil)
	if !bytes.Contains(r.Body, []byte(`"unit":{"code":"u-own","name":"u-own"}`)) {
		t.Errorf("/me: %s", r.Body)
	}
	for _, sub := range []string{"documents", "parties"} {
		if r := env.Do(clerk, http.MethodGet, "/api/staff/cases/999999/"+sub, nil); r.Code != http.StatusNotFound {
			t.Errorf("%s of an absent case: %d %s", sub, r.Code, r.Body)
		}
	}
	prosecutor := env.LoginStaffIn(model.StaffProsecutor, "u-own")
	if err := env.DB.Model(&model.Case{}).Where("id = ?", objs["u-child"].caseID).Update("prosecutor_id", prosecutor.StaffID).Error; err != nil {
		t.Fatal(err)
	}
	var page service.Page[struct {
		CaseNo string `json:"case_no"`
		Unit   service.UnitRef
	}]
	env.Do(prosecutor, http.MethodGet, "/api/staff/cases", nil).JSON(t, &page)
	if page.Total != 1 || page.Items[0].CaseNo != "C-u-child" || page.Items[0].Unit.Code != "u-child" {
		t.Errorf("a prosecutor's own cases: %+v", page)
	}
	env.Do(prosecutor, http.MethodGet, "/api/staff/cases?scope=unit", nil).JSON(t, &page)
	if page.Total != 2 || page.PageSize != service.DefaultPageSize {
		t.Errorf("the unit's cases: %+v", page)
	}
	if r := env.Do(prosecutor, http.MethodGet, "/api/staff/cases?page_size=101", nil); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("page_size 101: %d", r.Code)
	}
}

// TestUnitAddedOnAnotherInstance: a unit added on one instance is in
// scope there at once and on the other instance within
// the unit tree's 5 s refresh, without a new login.
func TestUnitAddedOnAnotherInstance(t *testing.T) {
	a, b := handlertest.NewPair(t)
	adminOnB := b.LoginStaff(model.StaffAdmin) // b now holds the tree
	listed := func(env *handlertest.Env, caller handlertest.Caller) bool {
		r := env.Do(caller, http.MethodGet, "/api/staff/units", nil)
		return bytes.Contains(r.Body, []byte(`"code":"360101"`))
	}
	a.Unique("staff") // the instances number their accounts alike
	adminOnA := a.LoginStaff(model.StaffAdmin)
	if r := a.Do(adminOnA, http.MethodPost, "/api/staff/units", map[string]any{"code": "360101", "name": "东湖区院", "parent_code": "root"}); r.Code != http.StatusCreated {
		t.Fatalf("add unit: %d %s", r.Code, r.Body)
	}
	if !listed(a, adminOnA) {
		t.Error("the instance that added the unit does not list it at once")
	}
	b.Clock.Advance(6 * time.Second)
	if !listed(b, adminOnB) {
		t.Error("the other instance does not list the unit after the refresh")
	}
}
