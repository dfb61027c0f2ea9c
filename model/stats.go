package model

import "time"

// MonthlyPlan is a unit's plan for a month (月初上报计划数): how many
// documents it means to publish and events to disclose.
type MonthlyPlan struct {
	ID               uint64 `gorm:"primaryKey"`
	UnitID           uint64 `gorm:"not null;uniqueIndex:idx_plan_month,priority:1"`
	Month            string `gorm:"size:7;not null;uniqueIndex:idx_plan_month,priority:2"` // YYYY-MM
	DocumentsPlanned int    `gorm:"not null"`
	EventsPlanned    int    `gorm:"not null"`
	UpdatedBy        *uint64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// ReportSnapshot is a month's 通报 frozen on the 1st of the next month:
// the rows of every unit as they were then (JSON), so later edits do not
// rewrite history. The unique month makes the freeze happen once.
type ReportSnapshot struct {
	Month     string    `gorm:"primaryKey;size:7"`
	Threshold float64   `gorm:"not null"`
	Rows      string    `gorm:"type:mediumtext;not null"`
	CreatedAt time.Time `gorm:"not null"`
}
