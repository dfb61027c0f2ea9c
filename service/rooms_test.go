package service_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"gorm.io/gorm"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/service"
)

// testRoom adds a reading room to the deployment's only (root) unit.
func testRoom(t testing.TB, svc *service.Service, name string) service.RoomView {
	t.Helper()
	r, err := svc.CreateRoom(context.Background(), service.System, service.RoomInput{Name: name})
	if err != nil {
		t.Fatalf("create room %s: %v", name, err)
	}
	return r
}

// childUnit adds a unit below the root directly (units are another area's API).
func childUnit(t testing.TB, db *gorm.DB, code, name, address string) model.Unit {
	t.Helper()
	var root model.Unit
	if err := db.Where("code = ?", model.RootUnitCode).Take(&root).Error; err != nil {
		t.Fatal(err)
	}
	u := model.Unit{Code: code, Name: name, Level: model.UnitCounty, ParentID: &root.ID, Address: address}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	u.Path = root.Path + strconv.FormatUint(u.ID, 10) + "/"
	if err := db.Model(&u).Update("path", u.Path).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

func fieldError(t *testing.T, err error, field string) {
	t.Helper()
	var e *model.Error
	if !errors.As(err, &e) || e.Fields[field] == "" {
		t.Fatalf("want a field error on %s, got %v", field, err)
	}
}

// Rooms and their slots are confined to the actor's scope: a unit or room
// outside it is refused as if absent, lists hold only in-scope rooms, and a
// room's name is unique within its unit only.
func TestRoomsAndSlotsStayInScope(t *testing.T) {
	ctx := context.Background()
	svc, db, _ := newApptService(t, nil, nil, handlertest.Start)
	east := childUnit(t, db, "360102", "东湖区人民检察院", "东湖区八一大道 1 号")
	west := childUnit(t, db, "360103", "西湖区人民检察院", "")
	eastStaff := service.Actor{Name: "east", Scope: service.Scope{UnitIDs: []uint64{east.ID}}}

	// With several units, a room must name its unit.
	if _, err := svc.CreateRoom(ctx, service.System, service.RoomInput{Name: "第一阅卷室"}); err == nil {
		t.Fatal("room without a unit accepted while there are several units")
	} else {
		fieldError(t, err, "unit_code")
	}
	eastRoom, err := svc.CreateRoom(ctx, eastStaff, service.RoomInput{UnitCode: east.Code, Name: "第一阅卷室"})
	if err != nil {
		t.Fatal(err)
	}
	if eastRoom.Unit.Code != east.Code || eastRoom.Capacity != 1 {
		t.Fatalf("created %+v", eastRoom)
	}
	if _, err := svc.CreateRoom(ctx, eastStaff, service.RoomInput{UnitCode: west.Code, Name: "第一阅卷室"}); err == nil {
		t.Fatal("room created in a unit outside scope")
	} else {
		fieldError(t, err, "unit_code")
	}
	var dup *model.Error
	if _, err := svc.CreateRoom(ctx, eastStaff, service.RoomInput{UnitCode: east.Code, Name: "第一阅卷室"}); !errors.As(err, &dup) || dup.Code != "room_exists" {
		t.Fatalf("second room of one name in one unit: %v", err)
	}
	westRoom, err := svc.CreateRoom(ctx, service.System, service.RoomInput{UnitCode: west.Code, Name: "第一阅卷室"})
	if err != nil {
		t.Fatalf("same name in another unit: %v", err)
	}

	rooms, err := svc.Rooms(ctx, eastStaff)
	if err != nil || len(rooms) != 1 || rooms[0].ID != eastRoom.ID {
		t.Fatalf("east staff's rooms: %+v, %v", rooms, err)
	}
	if _, err := svc.UpdateRoom(ctx, eastStaff, westRoom.ID, service.RoomPatch{}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("update a room outside scope: %v", err)
	}
	addr := "东湖区八一大道 1 号 2 楼"
	if r, err := svc.UpdateRoom(ctx, eastStaff, eastRoom.ID, service.RoomPatch{Address: &addr}); err != nil || r.Address != addr || r.Name != "第一阅卷室" {
		t.Fatalf("partial update: %+v, %v", r, err)
	}

	// Slots go only into rooms in scope; two rooms share a period.
	in := service.SlotInput{Date: "2026-12-03", Period: service.PeriodAM, Capacity: 2, RoomID: westRoom.ID}
	if _, err := svc.CreateSlot(ctx, eastStaff, in); err == nil {
		t.Fatal("slot created in a room outside scope")
	} else {
		fieldError(t, err, "room_id")
	}
	if _, err := svc.CreateSlots(ctx, eastStaff, service.SlotRangeInput{From: "2026-12-03", To: "2026-12-04", RoomID: westRoom.ID, Capacity: 2}); err == nil {
		t.Fatal("bulk slots created in a room outside scope")
	} else {
		fieldError(t, err, "room_id")
	}
	westSlot, err := svc.CreateSlot(ctx, service.System, in)
	if err != nil {
		t.Fatal(err)
	}
	in.RoomID = eastRoom.ID
	eastSlot, err := svc.CreateSlot(ctx, eastStaff, in)
	if err != nil {
		t.Fatalf("second room in the same period: %v", err)
	}
	if eastSlot.Room != (service.RoomRef{ID: eastRoom.ID, Name: "第一阅卷室", Address: addr}) {
		t.Fatalf("slot's room: %+v", eastSlot.Room)
	}
	if westSlot.Room.Address != "" {
		t.Fatalf("west room has no address of its own nor its unit's: %+v", westSlot.Room)
	}
	listed, err := svc.StaffSlots(ctx, eastStaff, "2026-12-03", "2026-12-03", service.Paging{})
	if err != nil || len(listed.Items) != 1 || listed.Items[0].ID != eastSlot.ID {
		t.Fatalf("east staff's slots: %+v, %v", listed, err)
	}
	if _, err := svc.CloseSlot(ctx, eastStaff, westSlot.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("close a slot outside scope: %v", err)
	}
}

// Concurrent creations of one room name in one unit leave exactly one room;
// the others are told the name is taken.
func TestConcurrentRoomCreation(t *testing.T) {
	ctx := context.Background()
	svc, db, _ := newApptService(t, nil, nil, handlertest.Start)
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.CreateRoom(ctx, service.System, service.RoomInput{Name: "第一阅卷室"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	created := 0
	for err := range errs {
		var e *model.Error
		switch {
		case err == nil:
			created++
		case !errors.As(err, &e) || e.Code != "room_exists":
			t.Errorf("concurrent creation: %v", err)
		}
	}
	var rooms int64
	db.Model(&model.Room{}).Count(&rooms)
	if created != 1 || rooms != 1 {
		t.Fatalf("%d creations succeeded, %d rooms stored; want 1 and 1", created, rooms)
	}
}
