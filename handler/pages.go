package handler

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"zsjc/web"
)

// The page routes of each app. Every route serves the app's HTML shell;
// its script renders the view that matches location.pathname, so these
// lists and the routers in web/assets/h5.js and staff.js name the same paths.
var (
	h5Pages = []string{
		"/h5/", "/h5/bind", "/h5/profile", "/h5/appointments", "/h5/privacy",
		"/h5/cases/:id", "/h5/cases/:id/review", "/h5/cases/:id/meeting", "/h5/cases/:id/efile",
		"/h5/requests", "/h5/complaints", "/h5/complaints/new", "/h5/complaints/:id",
		// The addresses pushes and replies link to.
		"/h5/bindings", "/h5/reviews", "/h5/meetings", "/h5/efile-requests", "/h5/efile-requests/:id",
	}
	staffPages = []string{
		"/staff/", "/staff/login", "/staff/bindings", "/staff/reviews", "/staff/meetings", "/staff/efile-requests",
		"/staff/cases", "/staff/cases/:id", "/staff/slots", "/staff/pushes", "/staff/stats", "/staff/reports", "/staff/audit", "/staff/users",
		"/staff/complaints", "/staff/ratings",
	}
)

// pageHeaders keep the pages to their own origin (no inline script, no
// third-party host but WeChat's JS-SDK script, which wx-open-subscribe
// needs; framed only by our own sandbox phone) and make browsers
// revalidate them; the other security headers come from the middleware.
var pageHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self' https://res.wx.qq.com; img-src 'self' data: blob:; object-src 'none'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
	"Cache-Control": "no-cache",
}

// asset is one embedded file ready to serve, with an ETag of its content
// so browsers revalidate cheaply after a deploy, and its gzip form when
// that is smaller (compressed once, at start).
type asset struct {
	body        []byte
	gzipped     []byte
	contentType string
	etag        string
	version     string // the content hash the pages put in ?v=
}

// loadAssets reads every file under dir of the embedded tree.
func loadAssets(dir string) (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(web.Files(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(web.Files(), p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, dir+"/")] = newAsset(p, body)
		return nil
	})
	return out, err
}

func newAsset(name string, body []byte) asset {
	sum := sha256.Sum256(body)
	version := hex.EncodeToString(sum[:8])
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	a := asset{body: body, contentType: ct, etag: `"` + version + `"`, version: version}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	if _, err := zw.Write(body); err == nil && zw.Close() == nil && buf.Len() < len(body) {
		a.gzipped = buf.Bytes()
	}
	return a
}

// versioned rewrites a page's references to assets ("/assets/app.js") to
// their content-hashed addresses ("/assets/app.js?v=…"), which browsers
// may keep for a year: a new deploy changes the address.
func versioned(page asset, assets map[string]asset) asset {
	html := string(page.body)
	for name, a := range assets {
		html = strings.ReplaceAll(html, `"/assets/`+name+`"`, `"/assets/`+name+`?v=`+a.version+`"`)
	}
	return newAsset("page.html", []byte(html))
}

// immutable is the caching of an asset requested at its hashed address.
const immutable = "public, max-age=31536000, immutable"

// serve writes the asset, or 304 when the browser's copy is current;
// gzip-compressed to browsers that accept it.
func (a asset) serve(c *gin.Context) {
	for k, v := range pageHeaders {
		c.Header(k, v)
	}
	if v := c.Query("v"); v != "" && v == a.version {
		c.Header("Cache-Control", immutable)
	}
	c.Header("ETag", a.etag)
	c.Header("Vary", "Accept-Encoding")
	if c.GetHeader("If-None-Match") == a.etag {
		c.Status(http.StatusNotModified)
		return
	}
	if a.gzipped != nil && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, a.contentType, a.gzipped)
		return
	}
	c.Data(http.StatusOK, a.contentType, a.body)
}

// acceptsGzip reads an Accept-Encoding header: gzip listed, and not with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// pages mounts the H5 pages, the staff console, their assets, the landing
// redirect and, in dev mode with the fake platform only, the WeChat sandbox.
func (s *Server) pages(r *gin.Engine) {
	assets, err := loadAssets("assets")
	if err != nil {
		panic(fmt.Sprintf("embedded assets: %v", err)) // a broken build, not a runtime condition
	}
	shells, err := loadAssets("pages")
	if err != nil {
		panic(fmt.Sprintf("embedded pages: %v", err))
	}
	for name, page := range shells {
		shells[name] = versioned(page, assets)
	}
	r.GET("/assets/*file", func(c *gin.Context) {
		a, ok := assets[strings.TrimPrefix(c.Param("file"), "/")]
		if !ok {
			fail(c, errNotFoundPath)
			return
		}
		a.serve(c)
	})
	for _, p := range h5Pages {
		r.GET(p, shells["h5.html"].serve)
	}
	for _, p := range staffPages {
		r.GET(p, shells["staff.html"].serve)
	}
	home := "/staff/"
	if s.dev && s.sandbox != nil {
		home = "/sandbox"
		r.GET("/sandbox", s.loopbackOnly, shells["sandbox.html"].serve)
		s.sandboxRoutes(r)
	}
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, home) })
}
