package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// creationRoutes are the H5 routes that file something new for staff:
// each call counts against the creation rate limits of the user and of the
// address. (Uploads have their own quota per user.)
var creationRoutes = map[string]bool{"/api/h5/bindings": true, "/api/h5/reviews": true, "/api/h5/meetings": true,
	"/api/h5/efile-requests": true, "/api/h5/complaints": true}

// limitCreations answers 429 to a creation over the user's or the
// address's rate (after requireUser).
func (s *Server) limitCreations(c *gin.Context) {
	if c.Request.Method == http.MethodPost && creationRoutes[c.FullPath()] {
		if err := s.svc.LimitCreation(c.Request.Context(), currentUser(c).UserID, c.ClientIP()); err != nil {
			fail(c, err)
			return
		}
	}
	c.Next()
}
