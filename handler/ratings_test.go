package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

func (f *apptFixture) rate(u handlertest.Caller, kind string, id uint64, stars int) handlertest.Response {
	return f.Do(u, http.MethodPost, "/api/h5/ratings", map[string]any{"kind": kind, "id": id, "stars": stars,
		"tags": []string{"态度好", "效率高"}, "comment": "答复及时"})
}

// myRequest finds the user's request of kind and id in 我的申请.
func (f *apptFixture) myRequest(u handlertest.Caller, kind string, id uint64) service.MyRequest {
	f.t.Helper()
	var res struct{ Items []service.MyRequest }
	f.expect(http.StatusOK, f.Do(u, http.MethodGet, "/api/h5/requests", nil)).JSON(f.t, &res)
	for _, it := range res.Items {
		if it.Kind == kind && it.ID == id {
			return it
		}
	}
	f.t.Fatalf("我的申请 has no %s %d: %+v", kind, id, res.Items)
	return service.MyRequest{}
}

// TestRatingOncePerHandledRequest: a request can be rated by its owner
// only, once it is handled, once; the decision that handles it invites the
// rating with one push; bad input is a 422 on its field.
func TestRatingOncePerHandledRequest(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	u := f.lawyer(caseID)
	id := f.meeting(u, caseID)

	f.expectError(http.StatusConflict, "not_handled", f.rate(u, "meeting", id, 5))
	if it := f.myRequest(u, "meeting", id); it.Rateable || it.Status != model.StatusPending {
		t.Fatalf("a pending meeting in 我的申请: %+v", it)
	}
	f.expect(http.StatusOK, f.staffDo("meetings", id, "reject", map[string]string{"reason": "请书面提交"}))
	if n := f.pushes(fmt.Sprintf("rating:meeting:%d:", id)); n != 1 {
		t.Fatalf("rating invitations: %d, want 1", n)
	}
	if it := f.myRequest(u, "meeting", id); !it.Rateable || it.Rating != nil {
		t.Fatalf("a rejected meeting in 我的申请: %+v", it)
	}

	// Someone else's request and an absent one are the same 404.
	other := f.lawyer(caseID)
	absent := f.expect(http.StatusNotFound, f.rate(other, "meeting", id+1000, 5))
	if r := f.expect(http.StatusNotFound, f.rate(other, "meeting", id, 5)); string(r.Body) != string(absent.Body) {
		t.Fatalf("someone else's request %s, an absent one %s", r.Body, absent.Body)
	}

	for name, body := range map[string]map[string]any{
		"stars":   {"kind": "meeting", "id": id, "stars": 6},
		"tags":    {"kind": "meeting", "id": id, "stars": 3, "tags": []string{"很好"}},
		"comment": {"kind": "meeting", "id": id, "stars": 3, "comment": strings.Repeat("评", 301)},
		"kind":    {"kind": "docket", "id": id, "stars": 3},
	} {
		r := f.expectError(http.StatusUnprocessableEntity, "invalid_input", f.Do(u, http.MethodPost, "/api/h5/ratings", body))
		if !strings.Contains(string(r.Body), `"`+name+`"`) {
			t.Errorf("%s: %s", name, r.Body)
		}
	}

	var v service.RatingView
	f.expect(http.StatusCreated, f.rate(u, "meeting", id, 4)).JSON(t, &v)
	if v.Stars != 4 || len(v.Tags) != 2 || v.Comment != "答复及时" || v.KindLabel != "会见申请" {
		t.Fatalf("rating: %+v", v)
	}
	f.expectError(http.StatusConflict, "already_rated", f.rate(u, "meeting", id, 1))
	if it := f.myRequest(u, "meeting", id); it.Rateable || it.Rating == nil || it.Rating.Stars != 4 {
		t.Fatalf("a rated meeting in 我的申请: %+v", it)
	}

	// A binding, answered, is rateable too; a cancelled review is not.
	var b model.Binding
	if err := f.DB.Where("user_id = ? AND case_id = ?", u.UserID, caseID).Take(&b).Error; err != nil {
		t.Fatal(err)
	}
	f.expect(http.StatusCreated, f.rate(u, "binding", b.ID, 5))
	slot := f.slot(thursday, "am", 2)
	review := f.booking(u, caseID, slot)
	f.expect(http.StatusOK, f.Do(u, http.MethodPost, fmt.Sprintf("/api/h5/reviews/%d/cancel", review), nil))
	f.expectError(http.StatusConflict, "not_handled", f.rate(u, "review", review, 5))
}

// TestRatingRace: the owner rating a handled request twice at once gets
// one 201 and one 409, and one row is stored.
func TestRatingRace(t *testing.T) {
	f := newApptFixture(t)
	caseID := f.newCase()
	for range 5 {
		u := f.lawyer(caseID)
		id := f.meeting(u, caseID)
		f.expect(http.StatusOK, f.staffDo("meetings", id, "reject", map[string]string{"reason": "另约"}))
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() { codes[i] = f.rate(u, "meeting", id, i+1).Code })
		}
		wg.Wait()
		if !(codes[0] == http.StatusCreated && codes[1] == http.StatusConflict || codes[0] == http.StatusConflict && codes[1] == http.StatusCreated) {
			t.Fatalf("two ratings at once: %v", codes)
		}
		var n int64
		if err := f.DB.Model(&model.Rating{}).Where("kind = ? AND request_id = ?", "meeting", id).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("stored ratings: %d %v", n, err)
		}
	}
}

// TestRatingsPerUnit: staff list the ratings of their scope with masked
// raters (another unit's code is the same 404 as an absent one), and the
// statistics count and average them per unit, rolled up the tree.
func TestRatingsPerUnit(t *testing.T) {
	f := newApptFixture(t)
	ctx := context.Background()
	for _, code := range []string{"r-a", "r-b"} {
		parent := model.RootUnitCode
		if _, err := f.Svc.CreateUnit(ctx, service.System, service.UnitInput{Code: &code, Name: &code, ParentCode: &parent}); err != nil {
			t.Fatal(err)
		}
	}
	rated := func(code string, stars int) {
		t.Helper()
		var unit model.Unit
		if err := f.DB.Where("code = ?", code).Take(&unit).Error; err != nil {
			t.Fatal(err)
		}
		caseID := f.newCase()
		if err := f.DB.Model(&model.Case{}).Where("id = ?", caseID).Update("unit_id", unit.ID).Error; err != nil {
			t.Fatal(err)
		}
		u := f.lawyer(caseID)
		if err := f.DB.Create(&model.LawyerProfile{UserID: u.UserID, Name: "王律师", LicenseNo: f.Unique("1110120101"), Firm: "所"}).Error; err != nil {
			t.Fatal(err)
		}
		var b model.Binding
		if err := f.DB.Where("user_id = ?", u.UserID).Take(&b).Error; err != nil {
			t.Fatal(err)
		}
		f.expect(http.StatusCreated, f.rate(u, "binding", b.ID, stars))
	}
	rated("r-a", 5)
	rated("r-a", 2)
	rated("r-b", 4)

	clerk := f.remember(f.Env.LoginStaffIn(model.StaffCaseManager, "r-a"))
	var page service.Page[service.RatingView]
	f.expect(http.StatusOK, f.Do(clerk, http.MethodGet, "/api/staff/ratings", nil)).JSON(t, &page)
	if page.Total != 2 {
		t.Fatalf("r-a's ratings: %+v", page)
	}
	for _, it := range page.Items {
		if it.Rater != "律师 王**" || it.Unit == nil || it.Unit.Code != "r-a" {
			t.Errorf("rating as staff see it: %+v", it)
		}
	}
	f.expect(http.StatusNotFound, f.Do(clerk, http.MethodGet, "/api/staff/ratings?unit=r-b", nil))
	f.expect(http.StatusNotFound, f.Do(clerk, http.MethodGet, "/api/staff/ratings?unit=nowhere", nil))
	if r := f.Do(f.remember(f.Env.LoginStaffIn(model.StaffProsecutor, "r-a")), http.MethodGet, "/api/staff/ratings", nil); r.Code != http.StatusForbidden {
		t.Errorf("a prosecutor's ratings list: %d", r.Code)
	}

	admin := f.remember(f.Env.LoginStaffIn(model.StaffAdmin, model.RootUnitCode))
	f.expect(http.StatusOK, f.Do(admin, http.MethodGet, "/api/staff/ratings?unit=r-b", nil)).JSON(t, &page)
	if page.Total != 1 || page.Items[0].Stars != 4 {
		t.Fatalf("r-b's ratings for the root's admin: %+v", page)
	}
	var stats service.StatsView
	f.expect(http.StatusOK, f.Do(admin, http.MethodGet, "/api/staff/stats?unit=root", nil)).JSON(t, &stats)
	if stats.Figures["rating_count"] != float64(3) || stats.Figures["rating_avg"] != 3.7 {
		t.Errorf("root figures: count %v avg %v", stats.Figures["rating_count"], stats.Figures["rating_avg"])
	}
	for _, child := range stats.Children {
		want := map[string][2]any{"r-a": {float64(2), 3.5}, "r-b": {float64(1), float64(4)}}[child.Unit.Code]
		if child.Figures["rating_count"] != want[0] || child.Figures["rating_avg"] != want[1] {
			t.Errorf("%s figures: count %v avg %v, want %v", child.Unit.Code, child.Figures["rating_count"], child.Figures["rating_avg"], want)
		}
	}
}
