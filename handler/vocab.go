package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// vocabRoutes serves the vocabularies every page loads once, without login:
// they are the same for everyone and name no record.
func (s *Server) vocabRoutes(r *gin.Engine) {
	vocab := service.Vocab()
	r.GET("/api/vocab", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		ok(c, http.StatusOK, vocab)
	})
}
