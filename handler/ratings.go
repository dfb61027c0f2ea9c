package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// ratingRoutes mount a WeChat user's ratings and 我的申请, the list of
// their requests of every kind.
func (s *Server) ratingRoutes(h5 *gin.RouterGroup) {
	h5.POST("/ratings", must(s.rate))
	h5.GET("/requests", must(s.myRequests))
}

// ratingStaffRoutes list the ratings of the scope.
func (s *Server) ratingStaffRoutes() []staffRoute {
	return []staffRoute{
		{http.MethodGet, "/ratings", ratingReaders, must(s.staffRatings)},
	}
}

func (s *Server) rate(c *gin.Context) error {
	var in service.RatingInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.Rate(c.Request.Context(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) myRequests(c *gin.Context) error {
	items, err := s.svc.MyRequests(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) staffRatings(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.RatingView], error) {
		return s.svc.StaffRatings(c.Request.Context(), actor(c), c.Query("unit"), p)
	})
}
