package handler

import "github.com/gin-gonic/gin"

// publicUnitRoutes serve the unit tree the disclosure pages filter by.
func (s *Server) publicUnitRoutes(public *gin.RouterGroup) {
	public.GET("/units", must(s.publicUnits))
}

func (s *Server) publicUnits(c *gin.Context) error {
	units, err := s.svc.PublicUnits(c.Request.Context())
	if err != nil {
		return err
	}
	list(c, units)
	return nil
}
