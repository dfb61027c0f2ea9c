package handler

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"zsjc/service"
)

// reviewRoutes mounts the lawyer's reading-room calendar and bookings.
func (s *Server) reviewRoutes(h5 *gin.RouterGroup) {
	h5.GET("/cases/:id/review-slots", must(s.caseSlots))
	h5.GET("/reviews", must(s.myReviews))
	h5.POST("/reviews", must(s.bookReview))
	h5.POST("/reviews/:id/cancel", must(s.cancelReview))
}

// reviewStaffRoutes are the slot calendar, the booking queue and decisions.
func (s *Server) reviewStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/review-slots", anyStaff, must(s.staffSlots)},
		{http.MethodPost, "/review-slots", caseOffice, must(s.createSlot)},
		{http.MethodPost, "/review-slots/bulk", caseOffice, must(s.createSlots)},
		{http.MethodPost, "/review-slots/:id/close", caseOffice, must(s.closeSlot)},
		{http.MethodGet, "/reviews", anyStaff, must(s.staffReviews)},
		{http.MethodPost, "/reviews/:id/confirm", caseOffice, decideByID(s.svc.ConfirmReview)},
		{http.MethodPost, "/reviews/:id/reject", caseOffice, decideWithBody(
			func(ctx context.Context, a service.Actor, id uint64, in reasonBody) (service.ReviewView, error) {
				return s.svc.RejectReview(ctx, a, id, in.Reason)
			})},
		{http.MethodPost, "/reviews/:id/complete", caseOffice, decideByID(s.svc.CompleteReview)},
		{http.MethodPost, "/reviews/:id/no-show", caseOffice, decideByID(s.svc.NoShowReview)},
	}
}

func (s *Server) caseSlots(c *gin.Context) error {
	caseID, err := idParam(c, "id")
	if err != nil {
		return err
	}
	items, err := s.svc.CaseSlots(c.Request.Context(), currentUser(c).UserID, caseID, c.Query("from"), c.Query("to"))
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) myReviews(c *gin.Context) error {
	items, err := s.svc.MyReviews(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) bookReview(c *gin.Context) error {
	var in service.ReviewInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.BookReview(c.Request.Context(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) cancelReview(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.svc.CancelReview(c.Request.Context(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, v)
	return nil
}

func (s *Server) staffSlots(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.StaffSlot], error) {
		return s.svc.StaffSlots(c.Request.Context(), actor(c), c.Query("from"), c.Query("to"), p)
	})
}

func (s *Server) createSlot(c *gin.Context) error {
	var in service.SlotInput
	if err := decode(c, &in); err != nil {
		return err
	}
	slot, err := s.svc.CreateSlot(c.Request.Context(), actor(c), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, slot)
	return nil
}

func (s *Server) createSlots(c *gin.Context) error {
	var in service.SlotRangeInput
	if err := decode(c, &in); err != nil {
		return err
	}
	batch, err := s.svc.CreateSlots(c.Request.Context(), actor(c), in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, batch)
	return nil
}

func (s *Server) closeSlot(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	slot, err := s.svc.CloseSlot(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, slot)
	return nil
}

func (s *Server) staffReviews(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.ReviewView], error) {
		return s.svc.StaffReviews(c.Request.Context(), actor(c), c.Query("status"), c.Query("date"), p)
	})
}

// decideByID serves a staff decision on the request named by :id that
// takes no body.
func decideByID[T any](decide func(context.Context, service.Actor, uint64) (T, error)) gin.HandlerFunc {
	return must(func(c *gin.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		v, err := decide(c.Request.Context(), actor(c), id)
		if err != nil {
			return err
		}
		ok(c, http.StatusOK, v)
		return nil
	})
}

// decideWithBody serves a staff decision on the request named by :id whose
// details come as a JSON body B.
func decideWithBody[B, T any](decide func(context.Context, service.Actor, uint64, B) (T, error)) gin.HandlerFunc {
	return must(func(c *gin.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		var in B
		if err := decode(c, &in); err != nil {
			return err
		}
		v, err := decide(c.Request.Context(), actor(c), id, in)
		if err != nil {
			return err
		}
		ok(c, http.StatusOK, v)
		return nil
	})
}

// overdueCollector exports zsjc_requests_overdue{kind="review|meeting|efile|
// complaint_acknowledge|complaint_result"}: pending requests past their
// reply deadline and complaints past a deadline, counted at scrape time.
type overdueCollector struct {
	svc  *service.Service
	log  *slog.Logger
	desc *prometheus.Desc
}

func newOverdueCollector(s *Server) overdueCollector {
	return overdueCollector{svc: s.svc, log: s.log, desc: prometheus.NewDesc("zsjc_requests_overdue",
		"Pending review bookings, meeting requests and online file review requests past their reply deadline, complaints past their acknowledgement or result deadline.", []string{"kind"}, nil)}
}

func (o overdueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

// Collect counts in the database; when it cannot, the series is left out of
// this scrape (absent rather than a wrong zero) and the failure logged.
func (o overdueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := o.svc.OverdueRequests(ctx)
	if err != nil {
		o.log.Warn("count overdue requests", "err", err)
		return
	}
	for kind, n := range counts {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(n), kind)
	}
}

// registerAppointmentMetrics adds the overdue-requests gauge to /metrics.
func (s *Server) registerAppointmentMetrics() {
	if err := s.reg.Register(newOverdueCollector(s)); err != nil {
		s.log.Warn("register overdue requests metric", "err", err)
	}
}
