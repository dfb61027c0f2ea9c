package handler

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"zsjc/service"
)

// efileRoutes mounts the lawyer's online file review requests and downloads.
func (s *Server) efileRoutes(h5 *gin.RouterGroup) {
	h5.GET("/efile-requests", must(s.myEfiles))
	h5.POST("/efile-requests", must(s.requestEfile))
	h5.GET("/efile-requests/:id", must(s.myEfile))
	h5.GET("/efile-requests/:id/files/:file_id", must(s.downloadEfile))
}

// efileStaffRoutes are the queue, the electronic file's PDFs, the
// decisions and the download log.
func (s *Server) efileStaffRoutes() []staffRoute {
	s.bodyLimits["/api/staff/efile-requests/:id/files"] = service.MaxEfileSize + multipartSlack
	return []staffRoute{
		{http.MethodGet, "/efile-requests", anyStaff, must(s.staffEfiles)},
		{http.MethodPost, "/efile-requests/:id/files", caseOffice, must(s.addEfileFile)},
		{http.MethodPost, "/efile-requests/:id/approve", caseOffice, decideWithBody(s.svc.ApproveEfile)},
		{http.MethodPost, "/efile-requests/:id/reject", caseOffice, decideWithBody(
			func(ctx context.Context, a service.Actor, id uint64, in reasonBody) (service.EfileView, error) {
				return s.svc.RejectEfile(ctx, a, id, in.Reason)
			})},
		{http.MethodGet, "/efile-requests/:id/downloads", caseOffice, must(s.efileDownloads)},
	}
}

func (s *Server) myEfiles(c *gin.Context) error {
	items, err := s.svc.MyEfiles(c.Request.Context(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	list(c, items)
	return nil
}

func (s *Server) requestEfile(c *gin.Context) error {
	var in service.EfileInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := s.svc.RequestEfile(c.Request.Context(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) myEfile(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v, err := s.svc.MyEfile(c.Request.Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	// The password may be in it: no cache may keep this answer.
	c.Header("Cache-Control", "no-store")
	ok(c, http.StatusOK, v)
	return nil
}

// downloadEfile streams a fresh watermarked, encrypted copy. Each answer
// is one counted download, so ranges are not offered, and a GET another
// site makes the browser send (a link, a redirect) is refused as a write
// would be: it would spend the lawyer's downloads.
func (s *Server) downloadEfile(c *gin.Context) error {
	if s.fromOtherSite(c) {
		return errCrossOrigin
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	fileID, err := idParam(c, "file_id")
	if err != nil {
		return err
	}
	cp, err := s.svc.DownloadEfile(c.Request.Context(), currentUser(c).UserID, c.ClientIP(), id, fileID)
	if err != nil {
		return err
	}
	defer cp.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": cp.Name}))
	h.Set("Content-Length", strconv.FormatInt(cp.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, cp); err != nil {
		s.log.Warn("efile download interrupted", "efile_id", id, "file_id", fileID, "err", err)
	}
	return nil
}

func (s *Server) staffEfiles(c *gin.Context) error {
	return servePage(c, func(p service.Paging) (service.Page[service.EfileView], error) {
		return s.svc.StaffEfiles(c.Request.Context(), actor(c), c.Query("status"), p)
	})
}

func (s *Server) addEfileFile(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	f, name, done, err := formFile(c)
	if err != nil {
		return err
	}
	defer done()
	v, err := s.svc.AddEfileFile(c.Request.Context(), actor(c), id, name, f)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, v)
	return nil
}

func (s *Server) efileDownloads(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return servePage(c, func(p service.Paging) (service.Page[service.EfileDownloadView], error) {
		return s.svc.EfileDownloads(c.Request.Context(), actor(c), id, p)
	})
}
