package handler

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// multipartSlack is room for a multipart body's boundaries and headers on
// top of the largest file a route accepts.
const multipartSlack = 64 << 10

// documentStaffRoutes publish legal documents and open files for staff.
func (s *Server) documentStaffRoutes() []staffRoute {
	s.bodyLimits["/api/staff/cases/:id/documents"] = service.MaxDocumentSize + multipartSlack
	return []staffRoute{
		{http.MethodGet, "/cases/:id/documents", anyStaff, must(s.staffDocuments)},
		{http.MethodPost, "/cases/:id/documents", anyStaff, must(s.addDocument)},
		{http.MethodGet, "/uploads/:id/file", caseOffice, must(s.staffUploadFile)},
	}
}

// documentRoutes mounts uploads and document downloads on the H5 API and
// the public documents.
func (s *Server) documentRoutes(h5, public *gin.RouterGroup) {
	s.bodyLimits["/api/h5/uploads"] = service.MaxUploadSize + multipartSlack
	h5.POST("/uploads", must(s.upload))
	h5.GET("/uploads/:id/file", must(s.uploadFile))
	h5.GET("/cases/:id/documents", must(s.userDocuments))
	h5.GET("/documents/:id/file", must(s.userDocumentFile))
	public.GET("/documents", must(s.publicDocuments))
	public.GET("/documents/:id/file", must(s.publicDocumentFile))
}

var errMultipart = model.NewError(model.KindBadRequest, "invalid_multipart", "请求须为 multipart/form-data，文件放在 file 字段")

// formFile parses the multipart body (files beyond 1 MiB spill to temp
// files, removed by the returned cleanup) and opens its "file" part.
func formFile(c *gin.Context) (multipart.File, string, func(), error) {
	if err := c.Request.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, "", nil, errTooLarge
		}
		return nil, "", nil, errMultipart
	}
	form := c.Request.MultipartForm
	cleanup := func() { _ = form.RemoveAll() }
	files := form.File["file"]
	if len(files) != 1 {
		cleanup()
		return nil, "", nil, service.ErrFileEmpty
	}
	f, err := files[0].Open()
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	return f, files[0].Filename, func() { f.Close(); cleanup() }, nil
}

func (s *Server) upload(c *gin.Context) error {
	f, name, done, err := formFile(c)
	if err != nil {
		return err
	}
	defer done()
	up, err := s.svc.SaveUpload(c.Request.Context(), currentUser(c).UserID, c.PostForm("kind"), name, f)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, up)
	return nil
}

func (s *Server) addDocument(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	f, name, done, err := formFile(c)
	if err != nil {
		return err
	}
	defer done()
	public, _ := strconv.ParseBool(c.PostForm("public"))
	in := service.DocumentInput{DocNo: c.PostForm("doc_no"), Title: c.PostForm("title"), Type: c.PostForm("type"), Public: public}
	doc, err := s.svc.AddDocument(c.Request.Context(), actor(c), id, in, name, f)
	if err != nil {
		return err
	}
	ok(c, http.StatusCreated, doc)
	return nil
}

func (s *Server) staffDocuments(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return servePage(c, func(p service.Paging) (service.Page[model.Document], error) {
		return s.svc.StaffDocuments(c.Request.Context(), actor(c), id, p)
	})
}

func (s *Server) userDocuments(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	docs, err := s.svc.UserDocuments(c.Request.Context(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	list(c, service.DocumentViews(docs))
	return nil
}

func (s *Server) publicDocuments(c *gin.Context) error {
	docs, err := s.svc.PublicDocuments(c.Request.Context(), c.Query("unit"))
	if err != nil {
		return err
	}
	list(c, docs)
	return nil
}

func (s *Server) userDocumentFile(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	doc, f, err := s.svc.UserDocument(c.Request.Context(), currentUser(c).UserID, id)
	return serveFile(c, doc.FileName, doc.ContentType, doc.PublishedAt, f, err)
}

func (s *Server) publicDocumentFile(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	doc, f, err := s.svc.PublicDocument(c.Request.Context(), id)
	return serveFile(c, doc.FileName, doc.ContentType, doc.PublishedAt, f, err)
}

func (s *Server) uploadFile(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	up, f, err := s.svc.UserUpload(c.Request.Context(), currentUser(c).UserID, id)
	return serveFile(c, up.FileName, up.ContentType, up.CreatedAt, f, err)
}

func (s *Server) staffUploadFile(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	up, f, err := s.svc.StaffUpload(c.Request.Context(), actor(c), id)
	return serveFile(c, up.FileName, up.ContentType, up.CreatedAt, f, err)
}

// serveFile streams a stored file opened by the service (or renders the
// error it got) with its sniffed type, an inline Content-Disposition
// carrying the (UTF-8) file name, and HTTP ranges.
func serveFile(c *gin.Context, name, contentType string, modified time.Time, f io.ReadSeekCloser, err error) error {
	if err != nil {
		return err
	}
	defer f.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=0")
	http.ServeContent(c.Writer, c.Request, "", modified, f)
	return nil
}
