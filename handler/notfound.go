package handler

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"zsjc/web"
)

// notFoundPage is the HTML page a person gets for an unknown address of the
// H5 pages or the console: a way back instead of the API's JSON error.
var notFoundPage = template.Must(template.ParseFS(web.Files(), "pages/notfound.html"))

// pageAreas maps the path prefix of each app to its home page and label;
// the H5 pages offer 长辈模式 on their not-found page too.
var pageAreas = []struct {
	prefix, home, label string
	elder               bool
}{
	{"/h5/", "/h5/", "返回我的案件", true},
	{"/staff/", "/staff/", "返回工作台", false},
}

// noRoute answers an unknown address: a page address read by a browser
// gets the HTML 404 page, anything else the JSON error.
func noRoute(c *gin.Context) {
	p := c.Request.URL.Path
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		for _, a := range pageAreas {
			if strings.HasPrefix(p+"/", a.prefix) {
				for k, v := range pageHeaders {
					c.Header(k, v)
				}
				c.Header("Content-Type", "text/html; charset=utf-8")
				c.Status(http.StatusNotFound)
				if err := notFoundPage.Execute(c.Writer, struct {
					Home, HomeLabel string
					Elder           bool
				}{a.home, a.label, a.elder}); err != nil {
					logger(c).Error("render not-found page", "err", err)
				}
				c.Abort()
				return
			}
		}
	}
	fail(c, errNotFoundPath)
}
