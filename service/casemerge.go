package service

import (
	"time"

	"zsjc/model"
)

// keepOmitted fills the fields an update's body did not name (in.Given)
// with the stored case's values, so that an update omitting a field keeps
// it rather than clearing it (or, for the stage, resetting it to 受理).
// A nil Given names every field (a create).
func (in CaseInput) keepOmitted(old model.Case, loc *time.Location) CaseInput {
	if in.Given == nil {
		return in
	}
	keep := func(field string, dst *string, v string) {
		if !in.Given[field] {
			*dst = v
		}
	}
	keep("name", &in.Name, old.Name)
	keep("type", &in.Type, old.Type)
	keep("cause", &in.Cause, old.Cause)
	keep("unit", &in.Unit, old.Unit)
	keep("prosecutor", &in.Prosecutor, old.Prosecutor)
	keep("measure", &in.Measure, old.Measure)
	keep("stage", &in.Stage, old.Stage)
	keep("result", &in.Result, old.Result)
	keep("summary", &in.Summary, old.Summary)
	keep("public_title", &in.PublicTitle, old.PublicTitle)
	keep("accepted_at", &in.AcceptedAt, old.AcceptedAt.Format(time.RFC3339))
	if old.Deadline != nil {
		keep("deadline", &in.Deadline, old.Deadline.In(loc).Format(model.DateLayout))
	}
	if !in.Given["important"] {
		in.Important = old.Important
	}
	if !in.Given["prosecutor_id"] {
		in.ProsecutorID = old.ProsecutorID
	}
	return in
}
