package handler_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
)

// unitBelow adds a unit under the one with parentCode.
func (f *apptFixture) unitBelow(parentCode string, u model.Unit) model.Unit {
	f.t.Helper()
	in := service.UnitInput{Code: &u.Code, Name: &u.Name, ParentCode: &parentCode, Address: &u.Address, Phone: &u.Phone,
		ReceptionHours: &u.ReceptionHours}
	if u.Level == "" {
		u.Level = model.UnitCounty
	}
	in.Level = &u.Level
	if _, err := f.Svc.CreateUnit(context.Background(), service.System, in); err != nil {
		f.t.Fatal(err)
	}
	if err := f.DB.Where("code = ?", u.Code).Take(&u).Error; err != nil {
		f.t.Fatal(err)
	}
	return u
}

// The H5 side of a province deployment: a case's page names its unit with
// the contact details (an edit shows at once, past the case-view cache),
// its calendar offers only its unit's rooms, each slot naming room and
// address, a meeting confirmed without a place takes the unit's address,
// and the pushes name the unit.
func TestH5CaseShowsItsUnitAndItsRooms(t *testing.T) {
	f := newApptFixture(t)
	east := f.unitBelow(model.RootUnitCode, model.Unit{Code: "360102", Name: "东湖区人民检察院", Address: "东湖区八一大道 1 号",
		Phone: "0791-8888 0001", ReceptionHours: "工作日 9:00-12:00，14:00-17:00"})
	caseID := f.newCase()
	if err := f.DB.Model(&model.Case{}).Where("id = ?", caseID).Update("unit_id", east.ID).Error; err != nil {
		t.Fatal(err)
	}
	room := func(unitCode, name, address string) uint64 {
		return idOf(t, f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/rooms",
			map[string]any{"unit_code": unitCode, "name": name, "address": address, "capacity": 2})))
	}
	eastRoom, eastAnnex := room(east.Code, "第一阅卷室", ""), room(east.Code, "第二阅卷室", "东湖区八一大道 3 号附楼")
	rootRoom := room(model.RootUnitCode, "第一阅卷室", "")
	slot := func(roomID uint64) uint64 {
		return idOf(t, f.expect(http.StatusCreated, f.Do(f.staff, http.MethodPost, "/api/staff/review-slots",
			map[string]any{"date": thursday, "period": "am", "room_id": roomID, "capacity": 2})))
	}
	eastSlot, annexSlot := slot(eastRoom), slot(eastAnnex)
	slot(rootRoom) // another unit's room at the same time: not offered

	lawyer := f.lawyer(caseID)
	var slots struct {
		Items []struct {
			ID   uint64 `json:"id"`
			Room struct {
				ID      uint64 `json:"id"`
				Name    string `json:"name"`
				Address string `json:"address"`
			} `json:"room"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(lawyer, http.MethodGet, "/api/h5/cases/"+strconv.FormatUint(caseID, 10)+"/review-slots", nil)).JSON(t, &slots)
	if len(slots.Items) != 2 {
		t.Fatalf("offered %d slots, want the unit's 2: %+v", len(slots.Items), slots.Items)
	}
	for _, it := range slots.Items {
		switch it.ID {
		case eastSlot:
			if it.Room.ID != eastRoom || it.Room.Name != "第一阅卷室" || it.Room.Address != east.Address {
				t.Errorf("room without an address of its own shows %+v, want the unit's address", it.Room)
			}
		case annexSlot:
			if it.Room.Name != "第二阅卷室" || it.Room.Address != "东湖区八一大道 3 号附楼" {
				t.Errorf("annex slot shows %+v", it.Room)
			}
		default:
			t.Errorf("offered slot %d of another unit", it.ID)
		}
	}

	type unitView struct {
		Unit struct {
			Code           string `json:"code"`
			Name           string `json:"name"`
			Address        string `json:"address"`
			Phone          string `json:"phone"`
			ReceptionHours string `json:"reception_hours"`
		} `json:"unit"`
	}
	casePath := "/api/h5/cases/" + strconv.FormatUint(caseID, 10)
	var v unitView
	f.expect(http.StatusOK, f.Do(lawyer, http.MethodGet, casePath, nil)).JSON(t, &v)
	if v.Unit.Code != east.Code || v.Unit.Name != east.Name || v.Unit.Address != east.Address ||
		v.Unit.Phone != east.Phone || v.Unit.ReceptionHours != east.ReceptionHours {
		t.Fatalf("case page's unit: %+v", v.Unit)
	}
	if err := f.DB.Model(&model.Unit{}).Where("id = ?", east.ID).Update("phone", "0791-8888 0002").Error; err != nil {
		t.Fatal(err)
	}
	f.expect(http.StatusOK, f.Do(lawyer, http.MethodGet, casePath, nil)).JSON(t, &v)
	if v.Unit.Phone != "0791-8888 0002" {
		t.Fatalf("a unit's new phone number is not shown: %q", v.Unit.Phone)
	}

	// A meeting confirmed without a place is at the unit; the push names it.
	meetingID := f.meeting(lawyer, caseID)
	var m struct {
		Place string `json:"place"`
	}
	f.expect(http.StatusOK, f.staffDo("meetings", meetingID, "confirm",
		map[string]string{"time": at(friday, "10:00").Format(time.RFC3339)})).JSON(t, &m)
	if m.Place != east.Address {
		t.Fatalf("meeting place %q, want the unit's address %q", m.Place, east.Address)
	}
	var push model.PushMessage
	if err := f.DB.Where("dedup_key LIKE ?", "meeting:%").Order("id DESC").Take(&push).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(push.Data, `"unit":"东湖区人民检察院"`) {
		t.Fatalf("meeting push does not name the unit: %s", push.Data)
	}
}

// Public disclosure filters by unit: a unit's list holds its cases and
// those of the units below it, every item names its unit, an unknown code
// is a 404, and the unit tree comes parents first.
func TestPublicDisclosureByUnit(t *testing.T) {
	f := newApptFixture(t)
	city := f.unitBelow(model.RootUnitCode, model.Unit{Code: "3601", Name: "南昌市人民检察院", Level: model.UnitCity})
	county := f.unitBelow(city.Code, model.Unit{Code: "360102", Name: "东湖区人民检察院"})
	other := f.unitBelow(model.RootUnitCode, model.Unit{Code: "360103", Name: "西湖区人民检察院"})
	caseOf := map[string]uint64{}
	for _, u := range []model.Unit{city, county, other} {
		c := model.Case{CaseNo: f.Unique("案-"), Name: u.Name + "案", Stage: "审查起诉", AcceptedAt: f.Clock.Now(),
			Important: true, UnitID: u.ID}
		if err := f.DB.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		doc := model.Document{CaseID: c.ID, Title: u.Name + "起诉书", Public: true, FileKey: f.Unique("k-"), PublishedAt: f.Clock.Now()}
		if err := f.DB.Create(&doc).Error; err != nil {
			t.Fatal(err)
		}
		caseOf[u.Code] = c.ID
	}
	type listing struct {
		Items []struct {
			ID     uint64 `json:"id"`
			CaseID uint64 `json:"case_id"`
			Unit   struct {
				Code string `json:"code"`
				Name string `json:"name"`
			} `json:"unit"`
		} `json:"items"`
	}
	units := func(path string) []string {
		var l listing
		f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, path, nil)).JSON(t, &l)
		var codes []string
		for _, it := range l.Items {
			id := it.ID
			if it.CaseID != 0 {
				id = it.CaseID
			}
			if caseOf[it.Unit.Code] != id || it.Unit.Name == "" {
				t.Errorf("%s: item of case %d names unit %+v", path, id, it.Unit)
			}
			codes = append(codes, it.Unit.Code)
		}
		slices.Sort(codes)
		return codes
	}
	for path, want := range map[string][]string{
		"/api/public/cases?unit=3601":       {"3601", "360102"},
		"/api/public/cases?unit=360103":     {"360103"},
		"/api/public/cases":                 {"3601", "360102", "360103"},
		"/api/public/documents?unit=360102": {"360102"},
		"/api/public/documents?unit=root":   {"3601", "360102", "360103"},
	} {
		if got := units(path); !slices.Equal(got, want) {
			t.Errorf("%s lists units %v, want %v", path, got, want)
		}
	}
	f.expectError(http.StatusNotFound, "unit_not_found", f.Do(f.staff, http.MethodGet, "/api/public/cases?unit=nope", nil))
	f.expectError(http.StatusNotFound, "unit_not_found", f.Do(f.staff, http.MethodGet, "/api/public/documents?unit=nope", nil))

	var tree struct {
		Items []struct {
			Code       string `json:"code"`
			ParentCode string `json:"parent_code"`
		} `json:"items"`
	}
	f.expect(http.StatusOK, f.Do(f.staff, http.MethodGet, "/api/public/units", nil)).JSON(t, &tree)
	var got []string
	for _, u := range tree.Items {
		got = append(got, u.Code+"<"+u.ParentCode)
	}
	if want := []string{"root<", "3601<root", "360102<3601", "360103<root"}; !slices.Equal(got, want) {
		t.Fatalf("unit tree %v, want %v", got, want)
	}
}
