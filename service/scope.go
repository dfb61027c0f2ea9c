package service

import "slices"

// Scope is the set of units a staff member may see and act on: their own
// unit and every unit below it. Every staff query and decision is limited
// by the actor's Scope here in the service layer, never per handler; an
// object outside it answers the same 404 as an absent one.
type Scope struct {
	// All is the unrestricted scope of the system actor (integration,
	// import, background jobs).
	All bool
	// UnitIDs are the units in scope, the actor's own first.
	UnitIDs []uint64
}

// AllUnits is the unrestricted scope.
var AllUnits = Scope{All: true}

// Contains reports whether unit id is in scope.
func (sc Scope) Contains(unitID uint64) bool {
	return sc.All || slices.Contains(sc.UnitIDs, unitID)
}
