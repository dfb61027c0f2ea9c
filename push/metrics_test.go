package push

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"zsjc/model"
	"zsjc/testenv"
)

// TestRowGauges: the queue depth and the unreachable pushes are counted
// from the database at each scrape.
func TestRowGauges(t *testing.T) {
	db := testenv.DB(t)
	queue(t, db, "q", 3, time.Now())
	if err := db.Create(&model.PushMessage{OpenID: "gone", Kind: model.PushCaseEvent, DedupKey: "u", ClientMsgID: "u",
		Status: model.StatusUnreachable, NextAttemptAt: time.Now()}).Error; err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	RegisterQueueDepth(reg, db)
	want := `
# HELP zsjc_push_queue_depth Push messages queued or being sent (all instances).
# TYPE zsjc_push_queue_depth gauge
zsjc_push_queue_depth 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "zsjc_push_queue_depth"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "zsjc_push_unreachable"); err != nil || n != 1 {
		t.Fatalf("unreachable gauge: %d series, %v", n, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "zsjc_push_unreachable" && mf.GetMetric()[0].GetGauge().GetValue() != 1 {
			t.Errorf("zsjc_push_unreachable = %v, want 1", mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
}
