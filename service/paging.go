package service

import (
	"fmt"

	"gorm.io/gorm"

	"zsjc/model"
)

// Staff list paging: every staff list answers one page and its total.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// Paging selects a page; Page counts from 1. Zero values take the defaults.
type Paging struct {
	Page     int
	PageSize int
}

// Page is one page of a staff list.
type Page[T any] struct {
	Items    []T   `json:"items"`
	Page     int   `json:"page"`
	PageSize int   `json:"page_size"`
	Total    int64 `json:"total"`
}

// normalized fills in the defaults and refuses a page size over the cap.
func (p Paging) normalized() (Paging, error) {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PageSize < 1 {
		p.PageSize = DefaultPageSize
	}
	if p.PageSize > MaxPageSize {
		return p, model.Invalid(map[string]string{"page_size": fmt.Sprintf("每页至多 %d 条", MaxPageSize)})
	}
	return p, nil
}

// pageOf counts the rows q selects and reads page p of them in order;
// decorate (joins, selected columns) applies to the read, not the count.
func pageOf[T any](q *gorm.DB, p Paging, order string, what string, decorate ...func(*gorm.DB) *gorm.DB) (Page[T], error) {
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return Page[T]{}, fmt.Errorf("count %s: %w", what, err)
	}
	return readPage[T](q, p, total, order, what, decorate...)
}

// readPage reads page p of the rows q selects, whose number is total.
func readPage[T any](q *gorm.DB, p Paging, total int64, order string, what string, decorate ...func(*gorm.DB) *gorm.DB) (Page[T], error) {
	p, err := p.normalized()
	if err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: []T{}, Page: p.Page, PageSize: p.PageSize, Total: total}
	for _, d := range decorate {
		q = d(q)
	}
	if err := q.Order(order).Limit(p.PageSize).Offset((p.Page - 1) * p.PageSize).Find(&out.Items).Error; err != nil {
		return Page[T]{}, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

// MapPage converts a page's items, keeping its position and total.
func MapPage[T, V any](p Page[T], convert func([]T) []V) Page[V] {
	return Page[V]{Items: convert(p.Items), Page: p.Page, PageSize: p.PageSize, Total: p.Total}
}
