package service

import (
	"reflect"
	"testing"

	"zsjc/model"
)

// TestEveryRequestKindIsInTheTable: every table of requests answered by
// staff (a model with a reply deadline) is in requestKinds, so the
// revocation cascade, the reminders and the overdue count all see it; and
// each entry names a table with the columns those jobs use.
func TestEveryRequestKindIsInTheTable(t *testing.T) {
	listed := map[reflect.Type]bool{}
	for _, k := range requestKinds {
		typ := reflect.TypeOf(k.row()).Elem()
		listed[typ] = true
		for _, f := range []string{"ID", "BindingID", "UserID", "Status", "ReplyBy", "RemindedAt"} {
			if _, ok := typ.FieldByName(f); !ok {
				t.Errorf("kind %s: %s has no field %s", k.name, typ.Name(), f)
			}
		}
		if k.name == "" || k.what == "" || k.machine == nil || k.ended == nil || k.dueReminders == nil {
			t.Errorf("kind %q is missing a rule: %+v", k.name, k)
		}
		for from := range k.machine {
			if from.Live() && !k.machine.Can(from, model.StatusCancelled) {
				t.Errorf("kind %s: a live request (%s) cannot be cancelled by the revocation cascade", k.name, from)
			}
		}
		if _, ok := k.machine[k.remindIn]; !ok || !k.remindIn.Live() {
			t.Errorf("kind %s: reminded in %q, not a live state of its machine", k.name, k.remindIn)
		}
	}
	for _, m := range model.All() {
		typ := reflect.TypeOf(m).Elem()
		if _, ok := typ.FieldByName("ReplyBy"); ok && hasField(typ, "BindingID") && !listed[typ] {
			t.Errorf("%s is a request on a binding with a reply deadline but is not in requestKinds", typ.Name())
		}
	}
}

// hasField reports whether the struct type has the field: requests made
// on a binding carry BindingID (a binding's own reply deadline is not one).
func hasField(typ reflect.Type, name string) bool {
	_, ok := typ.FieldByName(name)
	return ok
}
