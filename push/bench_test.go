package push

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"zsjc/model"
	"zsjc/testenv"
	"zsjc/wechat"
)

// BenchmarkDrain measures how fast one instance empties an outbox of b.N
// pushes against the fake platform answering in 20 ms, at the default
// concurrency and at the one the drain tests use. Its baseline, measured in
// the same run, is the bare client sending as many messages with the same
// concurrency and no outbox at all: ratio_to_bare is the share of the
// platform-bound ceiling the outbox keeps (claims, leases, guarded updates).
//
//	go test ./push -run '^$' -bench Drain -benchtime 3000x
func BenchmarkDrain(b *testing.B) {
	for _, concurrency := range []int{8, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", concurrency), func(b *testing.B) {
			db := testenv.DB(b)
			store := testenv.Cache(b)
			_, apiBase := startPlatform(b, fakeLatency)
			client := weChatClient(b, apiBase, store)
			if _, err := client.AccessToken(context.Background()); err != nil {
				b.Fatal(err)
			}

			bare := sendBare(b, client, concurrency, b.N)

			queue(b, db, "bench", b.N, time.Now())
			inst := newInstance(db, store, client, Options{Concurrency: concurrency, Poll: 5 * time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			b.ResetTimer()
			started := time.Now()
			go func() {
				defer close(stopped)
				inst.w.Run(ctx)
			}()
			for countRows(b, db, "status = ?", model.StatusSent) < int64(b.N) {
				time.Sleep(5 * time.Millisecond)
			}
			elapsed := time.Since(started)
			b.StopTimer()
			cancel()
			<-stopped

			perSec := float64(b.N) / elapsed.Seconds()
			barePerSec := float64(b.N) / bare.Seconds()
			b.ReportMetric(perSec, "pushes/s")
			b.ReportMetric(barePerSec, "bare_pushes/s")
			b.ReportMetric(perSec/barePerSec, "ratio_to_bare")
			b.ReportMetric(float64(concurrency), "concurrency")
		})
	}
}

// sendBare sends n template messages straight through the client with
// the given concurrency and returns how long it took.
func sendBare(b *testing.B, client *wechat.Client, concurrency, n int) time.Duration {
	b.Helper()
	work := make(chan int)
	var wg sync.WaitGroup
	started := time.Now()
	for range concurrency {
		wg.Go(func() {
			for i := range work {
				_, err := client.SendTemplate(context.Background(), wechat.TemplateMessage{
					ToUser: "bare", TemplateID: "T", ClientMsgID: fmt.Sprintf("bare-%d", i),
					Data: map[string]string{"thing1": "王某盗窃案"}})
				if err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return time.Since(started)
}
