package handler_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"zsjc/handler"
	"zsjc/handler/handlertest"
	"zsjc/loadgen"
	"zsjc/model"
)

// BenchmarkH5CaseRead measures, in one run, GET /api/h5/cases/:id by an
// approved party (whole middleware, session and case data version in one
// cache round trip, access check, case and timeline of three events from
// the case view cache after the first read, JSON) beside a
// bare Gin handler rendering a case-shaped object (the baseline of
// `zsjc bench`). "interleaved" runs both in alternating chunks and
// reports x-bare-gin, our throughput as a fraction of bare Gin's. With
// ZSJC_TEST_MYSQL_DSN / ZSJC_TEST_REDIS_ADDR set it reads MariaDB and Redis.
func BenchmarkH5CaseRead(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	zsjc, path, cookie := caseReadServer(b)
	bare := gin.New()
	bare.GET("/case", func(c *gin.Context) { c.JSON(http.StatusOK, loadgen.BaselineCase) })
	readCase := func(int) { getOK(b, zsjc, path, cookie) }
	readBare := func(int) { getOK(b, bare, "/case", nil) }
	b.Run("bare-gin-json", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			readBare(i)
		}
	})
	b.Run("zsjc", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			readCase(i)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		spent := interleave(b, readBare, readCase)
		b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "bare-gin-json-ns/op")
		b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "zsjc-ns/op")
		b.ReportMetric(float64(spent[0])/float64(spent[1]), "x-bare-gin")
	})
}

// caseReadServer makes a case with a deadline and a timeline, a party
// with an approved binding and a session, and returns our HTTP stack
// (logging discarded) with the case's path and the party's cookie.
func caseReadServer(b *testing.B) (http.Handler, string, *http.Cookie) {
	e := handlertest.New(b)
	clerk := e.LoginStaff(model.StaffCaseManager)
	deadline := handlertest.Start.In(e.Options.Location).AddDate(0, 0, 10).Format("2006-01-02")
	r := e.Do(clerk, http.MethodPost, "/api/staff/cases", map[string]any{
		"case_no": "京检刑受〔2026〕1号", "name": "张三涉嫌盗窃案", "cause": "盗窃罪", "unit": "第一检察部",
		"accepted_at": "2026-11-20T09:00:00+08:00", "deadline": deadline, "stage": "审查起诉",
	})
	var c struct{ ID uint64 }
	r.JSON(b, &c)
	for _, stage := range []string{"受理", "审查逮捕", "审查起诉"} {
		r := e.Do(clerk, http.MethodPost, fmt.Sprintf("/api/staff/cases/%d/events", c.ID),
			map[string]any{"stage": stage, "description": "本院已" + stage + "。", "occurred_at": "2026-11-21T10:00:00+08:00"})
		if r.Code != http.StatusCreated {
			b.Fatalf("event: %d %s", r.Code, r.Body)
		}
	}
	u := e.LoginUser("o-reader")
	bind := model.Binding{UserID: u.UserID, CaseID: c.ID, Role: model.RoleParty, Status: model.StatusApproved,
		LiveKey: model.LiveKey(u.UserID, c.ID)}
	if err := e.DB.Create(&bind).Error; err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := handler.New(handler.Deps{Service: e.Svc, Log: quiet, Registry: prometheus.NewRegistry()})
	return h, fmt.Sprintf("/api/h5/cases/%d", c.ID), u.Cookie
}

// getOK sends a GET to h and checks for a 200 with a body.
func getOK(b *testing.B, h http.Handler, path string, cookie *http.Cookie) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		b.Fatalf("GET %s: %d %q", path, rec.Code, rec.Body)
	}
}
