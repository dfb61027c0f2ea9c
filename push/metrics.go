package push

import (
	"context"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"zsjc/model"
)

// Outcomes of a send, the values of zsjc_push_total's "result" label
// (a contract with monitoring, docs/design.md §7.6).
const (
	ResultSent  = "sent"
	ResultFail  = "failed"
	ResultRetry = "retry"
)

// Metrics are the worker's Prometheus series.
type Metrics struct {
	// total is zsjc_push_total{result="sent|failed|retry"}.
	total *prometheus.CounterVec
	// byKind splits the outcomes by channel, push kind and error code (a
	// WeChat errcode or SMS status code; "0" for success, "transport" for
	// network failures, "render" for bad data).
	byKind *prometheus.CounterVec
	// latency is the time of one template send call.
	latency prometheus.Histogram
	// paused is 1 while the daily quota is exhausted and sending waits for
	// the next day; quotaPauses counts the pauses this instance started.
	paused      prometheus.Gauge
	quotaPauses prometheus.Counter
}

// NewMetrics registers the worker's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zsjc_push_total", Help: "Sends by result: sent, failed (final or unreachable) or retry (queued again).",
		}, []string{"result"}),
		byKind: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zsjc_push_outcomes_total", Help: "Sends by channel, push kind, result and provider error code.",
		}, []string{"channel", "kind", "result", "errcode"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "zsjc_push_send_seconds", Help: "Duration of one template send call to WeChat.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "zsjc_push_quota_paused", Help: "1 while sending is paused until the next day because the daily template quota (errcode 45009) is used up.",
		}),
		quotaPauses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zsjc_push_quota_pauses_total", Help: "Times this instance paused sending on errcode 45009.",
		}),
	}
	for _, r := range []string{ResultSent, ResultFail, ResultRetry} {
		m.total.WithLabelValues(r)
	}
	reg.MustRegister(m.total, m.byKind, m.latency, m.paused, m.quotaPauses)
	return m
}

func (m *Metrics) count(channel, kind, result, errcode string) {
	m.total.WithLabelValues(result).Inc()
	m.byKind.WithLabelValues(channel, kind, result, errcode).Inc()
}

// RegisterQueueDepth registers zsjc_push_queue_depth, the outbox rows
// waiting or being sent, and zsjc_push_unreachable, the pushes no channel
// could carry, fleet-wide (every instance reports the same numbers;
// aggregate with max). They are counted when scraped.
func RegisterQueueDepth(reg prometheus.Registerer, db *gorm.DB) {
	reg.MustRegister(rowGauge(db, "zsjc_push_queue_depth", "Push messages queued or being sent (all instances).",
		model.StatusQueued, model.StatusSending))
	reg.MustRegister(rowGauge(db, "zsjc_push_unreachable", "Pushes no channel could carry: the user unfollowed and gave no phone for SMS (all instances, kept rows).",
		model.StatusUnreachable))
}

// rowGauge counts the outbox rows in states at each scrape.
func rowGauge(db *gorm.DB, name, help string, states ...model.Status) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var n int64
		if err := db.WithContext(ctx).Model(&model.PushMessage{}).Where("status IN ?", states).Count(&n).Error; err != nil {
			return math.NaN() // unknown, not zero: an alert must not clear
		}
		return float64(n)
	})
}
