package loadgen

import (
	"context"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Baseline is a bare Gin server with the two trivial answers the product's
// figures are compared with: "success" to a POST (a callback) and a small
// JSON object to a GET (a case read).
type Baseline struct {
	URL string
	srv *http.Server
}

// BaselineCase is the object the baseline GET returns, shaped like a case.
var BaselineCase = gin.H{
	"id": 1, "case_no": "京检刑受〔2026〕1号", "name": "张三涉嫌盗窃案", "stage": "审查起诉",
	"timeline": []gin.H{{"stage": "受理", "description": "本院已受理移送审查起诉。"}},
}

// StartBaseline listens on a loopback port.
func StartBaseline() (*Baseline, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/callback", func(c *gin.Context) { c.String(http.StatusOK, "success") })
	r.GET("/case", func(c *gin.Context) { c.JSON(http.StatusOK, BaselineCase) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &Baseline{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: r}}
	go b.srv.Serve(ln)
	return b, nil
}

// Close stops the baseline server.
func (b *Baseline) Close() { b.srv.Shutdown(context.Background()) }
