package handler_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"zsjc/model"
)

// Finding 10 of the security review: an update without stage reset it to
// 受理, and an event dated ahead pinned the stage.
func TestCaseUpdatesKeepOmittedFields(t *testing.T) {
	f := newCaseFixture(t)
	id, caseNo := f.newCase()
	stored := func() model.Case {
		var c model.Case
		f.DB.Take(&c, id)
		return c
	}
	f.must(200, f.Do(f.clerk, "PUT", fmt.Sprintf("/api/staff/cases/%d", id), map[string]string{"name": "改名案"}))
	if c := stored(); c.Name != "改名案" || c.Stage != "审查起诉" || c.Cause != "盗窃罪" || c.Deadline == nil {
		t.Errorf("after a staff update naming only the name: %+v", c)
	}
	body, _ := json.Marshal(map[string]string{"name": "集成改名案"})
	f.must(200, f.signed("PUT", "/api/integration/cases/"+url.PathEscape(caseNo), body))
	if c := stored(); c.Name != "集成改名案" || c.Stage != "审查起诉" || c.Unit != "第一检察部" {
		t.Errorf("after an integration update without stage: %+v", c)
	}

	events := fmt.Sprintf("/api/staff/cases/%d/events", id)
	ahead := f.Clock.Now().Add(12 * time.Hour).Format(time.RFC3339)
	f.must(201, f.Do(f.clerk, "POST", events, map[string]string{"stage": "提起公诉", "occurred_at": ahead}))
	if c := stored(); c.Stage != "审查起诉" {
		t.Errorf("an event dated ahead moved the stage now: %s", c.Stage)
	}
	f.must(201, f.Do(f.clerk, "POST", events, map[string]string{"stage": "退回补充侦查", "occurred_at": f.Clock.Now().Add(-time.Minute).Format(time.RFC3339)}))
	if c := stored(); c.Stage != "退回补充侦查" {
		t.Errorf("the latest event not in the future is 退回补充侦查, stage %s", c.Stage)
	}
}
