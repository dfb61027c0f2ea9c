package push

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/service"
	"zsjc/testenv"
	"zsjc/wechat"
)

// WeChat may report a delivery (TEMPLATESENDJOBFINISH) before the worker
// has committed the msgid of the send: the report is kept and applied as
// soon as the push is recorded as sent, so no push stays "sent" forever.
func TestDeliveryReportedBeforeTheSendIsRecorded(t *testing.T) {
	db := testenv.DB(t)
	store := testenv.Cache(t)
	svc := service.New(service.Deps{DB: db, Cache: store}, service.Options{})
	queue(t, db, "early", 20, time.Now())
	var next atomic.Int64
	sender := SenderFunc(func(ctx context.Context, _ wechat.TemplateMessage) (int64, error) {
		id := 7000 + next.Add(1)
		status := "success"
		if id%2 == 0 {
			status = "failed:user block"
		}
		// The callback instance hears of the delivery first.
		if err := svc.RecordPushDelivery(ctx, id, status); err == nil {
			t.Errorf("msgid %d: report applied before the send was recorded", id)
		}
		return id, nil
	})
	inst := newInstance(db, store, sender, Options{Concurrency: 4, Poll: 5 * time.Millisecond, Deliveries: svc})
	run(t, inst.w, 20*time.Second, func() bool {
		return countRows(t, db, "status IN ?", []model.Status{model.StatusDelivered, model.StatusFailed}) == 20
	})
	if n := countRows(t, db, "status = ?", model.StatusDelivered); n != 10 {
		t.Fatalf("%d delivered, want 10", n)
	}
	if n := countRows(t, db, "status = ? AND last_error = ?", model.StatusFailed, "failed:user block"); n != 10 {
		t.Fatalf("%d failed with the report's text, want 10", n)
	}
}
