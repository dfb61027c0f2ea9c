package service

import (
	"slices"

	"gorm.io/gorm"
)

// Scope is the set of units a staff member may see and act on: their own
// unit and every unit below it. Every staff query and decision is limited
// by the actor's Scope here in the service layer, never per handler; an
// object outside it answers the same 404 as an absent one.
type Scope struct {
	// All is the unrestricted scope of the system actor (integration,
	// import, background jobs).
	All bool
	// UnitIDs are the units in scope, the actor's own first. Staff of a
	// top-level unit also hold 0: rows of no unit (a binding request for a
	// case number that matches no case).
	UnitIDs []uint64
	// whole says the scope holds every unit there is (a single-unit
	// deployment, or the only top-level unit's staff): queries need no
	// unit condition then.
	whole bool
}

// AllUnits is the unrestricted scope.
var AllUnits = Scope{All: true}

// Contains reports whether unit id is in scope.
func (sc Scope) Contains(unitID uint64) bool {
	return sc.All || slices.Contains(sc.UnitIDs, unitID)
}

// unlimited reports whether the scope holds every unit there is.
func (sc Scope) unlimited() bool { return sc.All || sc.whole }

// where limits a query to the rows whose column (a unit id) is in scope.
func (sc Scope) where(db *gorm.DB, column string) *gorm.DB {
	if sc.unlimited() {
		return db
	}
	return db.Where(column+" IN ?", sc.UnitIDs)
}
