package service_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"zsjc/handler/handlertest"
	"zsjc/model"
	"zsjc/secure"
	"zsjc/service"
	"zsjc/testenv"
)

// idNo builds a valid id number (GB 11643 check digit) with sequence n.
var idNo = handlertest.IDNumber

// TestRekeyWhileServing moves a database filled under AES and one key to
// SM4/SM3 under a new key. As the README's procedure says, every instance
// has the new key before rekey starts; one is still on aes, one on sm,
// and both bind parties and add parties and lawyers meanwhile: every bind
// matches, nothing is unreadable at any point, and a second run leaves
// every value sealed with the new suite and key.
func TestRekeyWhileServing(t *testing.T) {
	ctx := context.Background()
	db, dsn := testenv.DBWithDSN(t)
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	seedSealer, err := secure.NewSuiteSealer(secure.SuiteAES, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	oldSealer, err := secure.NewSuiteSealer(secure.SuiteAES, newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	newSealer, err := secure.NewSuiteSealer(secure.SuiteSM, newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	newDB := db
	if dsn != "" {
		newDB = testenv.Open(t, db, dsn)
	}
	opt := service.Options{Location: time.UTC, Calendar: model.NewCalendar(nil, nil)}
	c := testenv.Cache(t)
	seedSvc := service.New(service.Deps{DB: db, Cache: c, Sealer: seedSealer}, opt)
	oldSvc := service.New(service.Deps{DB: db, Cache: c, Sealer: oldSealer}, opt)
	newSvc := service.New(service.Deps{DB: newDB, Cache: c, Sealer: newSealer}, opt)

	kase := model.Case{CaseNo: "京检刑受〔2026〕900号", Name: "重加密案", Stage: "审查起诉", AcceptedAt: time.Now()}
	if err := db.Create(&kase).Error; err != nil {
		t.Fatal(err)
	}
	const parties, lawyers = 60, 20
	addParty := func(svc *service.Service, i int) {
		if _, err := svc.AddParty(ctx, service.System, kase.ID, service.PartyInput{Name: fmt.Sprintf("当事人%d", i), Role: "犯罪嫌疑人", IDNumber: idNo(i)}); err != nil {
			t.Errorf("add party %d: %v", i, err)
		}
	}
	addLawyer := func(svc *service.Service, i int) {
		u := model.WeChatUser{OpenID: fmt.Sprintf("lawyer-%d", i)}
		if err := db.Create(&u).Error; err != nil {
			t.Error(err)
			return
		}
		consentToAll(t, svc, u)
		in := service.LawyerInput{Name: "王律师", LicenseNo: fmt.Sprintf("111012010100%05d", i), Firm: "某律师事务所", Phone: fmt.Sprintf("139%08d", i)}
		if _, err := svc.SaveLawyerProfile(ctx, u.ID, in); err != nil {
			t.Errorf("lawyer %d: %v", i, err)
		}
	}
	for i := range parties {
		addParty(seedSvc, i)
	}
	for i := range lawyers {
		addLawyer(seedSvc, i)
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := newSvc.Rekey(ctx, 7, nil); err != nil {
			t.Errorf("rekey: %v", err)
		}
	}()
	for i := range parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := []*service.Service{oldSvc, newSvc}[i%2]
			u := model.WeChatUser{OpenID: fmt.Sprintf("party-%d", i)}
			if err := db.Create(&u).Error; err != nil {
				t.Error(err)
				return
			}
			consentToAll(t, svc, u)
			b, err := svc.Bind(ctx, service.UserSession{UserID: u.ID, OpenID: u.OpenID}, fmt.Sprintf("198.51.100.%d", i),
				service.BindInput{CaseNo: kase.CaseNo, Role: model.RoleParty, Name: fmt.Sprintf("当事人%d", i), IDNumber: idNo(i)})
			if err != nil || b.Status != model.StatusApproved {
				t.Errorf("bind party %d during rekey: %+v, %v", i, b, err)
			}
		}()
	}
	// Both instances keep writing: the old one in the old suite and key.
	for i := parties; i < parties+10; i++ {
		addParty([]*service.Service{oldSvc, newSvc}[i%2], i)
		addLawyer([]*service.Service{oldSvc, newSvc}[i%2], i)
	}
	wg.Wait()
	// A party the old instance added meanwhile is a duplicate for the new one.
	if _, err := newSvc.AddParty(ctx, service.System, kase.ID, service.PartyInput{Name: "当事人0", Role: "犯罪嫌疑人", IDNumber: idNo(0)}); err == nil {
		t.Error("a party listed under the old key was added again under the new one")
	}

	if _, err := newSvc.Rekey(ctx, 7, nil); err != nil {
		t.Fatal(err)
	}
	counts, err := newSvc.SealedCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "sm/" + secure.KeyID(newKey)
	total := map[string]int64{}
	for _, c := range counts {
		if c.Sealed != want {
			t.Errorf("after rekey %s.%s has %d rows sealed %s", c.Table, c.Column, c.Rows, c.Sealed)
		}
		total[c.Table] += c.Rows
	}
	if total["parties"] != parties+10 || total["lawyer_profiles"] != lawyers+10 {
		t.Errorf("rows counted %v, want %d parties and %d lawyers", total, parties+10, lawyers+10)
	}
	var rows []model.Party
	db.Where("case_id = ?", kase.ID).Find(&rows)
	onlyNew, _ := secure.NewSuiteSealer(secure.SuiteSM, newKey)
	for _, p := range rows {
		var n int
		fmt.Sscanf(p.Name, "当事人%d", &n)
		if got, err := onlyNew.Open(p.IDNumberEnc); err != nil || got != idNo(n) || p.IDNumberHash != onlyNew.Hash(idNo(n)) {
			t.Errorf("party %s: opens to %q (%v), hash current %v", p.Name, got, err, p.IDNumberHash == onlyNew.Hash(idNo(n)))
		}
	}
	if res, err := newSvc.Rekey(ctx, 7, nil); err != nil || res.Rekeyed != 0 {
		t.Errorf("third run rekeyed %d, %v: want nothing left", res.Rekeyed, err)
	}
}
