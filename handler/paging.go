package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"zsjc/model"
	"zsjc/service"
)

// paging reads ?page= and ?page_size= (at most service.MaxPageSize).
func paging(c *gin.Context, fe model.FieldErrors) service.Paging {
	return service.Paging{Page: queryInt(c, fe, "page", 1, 1_000_000), PageSize: queryInt(c, fe, "page_size", 1, service.MaxPageSize)}
}

// servePage answers a staff list route with the page read returns for
// the request's paging: {"items","page","page_size","total"}.
func servePage[T any](c *gin.Context, read func(p service.Paging) (service.Page[T], error)) error {
	fe := model.FieldErrors{}
	p := paging(c, fe)
	if err := fe.Err(); err != nil {
		return err
	}
	page, err := read(p)
	if err != nil {
		return err
	}
	ok(c, http.StatusOK, page)
	return nil
}
