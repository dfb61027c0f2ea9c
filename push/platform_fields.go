package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"zsjc/cache"
)

// templateFieldsKey caches, fleet-wide, the fields of the account's
// templates as the platform lists them (JSON: template id → field names).
const templateFieldsKey = "push:template_fields"

// templateFieldsTTL is how long the platform's listing is trusted; a miss
// asks the platform again.
const templateFieldsTTL = 6 * time.Hour

// platformFields returns the platform's listing of the account's templates
// from the shared cache, asking the platform on a miss.
func (w *Worker) platformFields(ctx context.Context) (map[string][]string, error) {
	raw, err := w.cache.Get(ctx, templateFieldsKey)
	if err == nil {
		var fields map[string][]string
		if json.Unmarshal([]byte(raw), &fields) == nil {
			return fields, nil
		}
	} else if !errors.Is(err, cache.ErrMiss) {
		return nil, err
	}
	fields, err := w.opt.TemplateFields(ctx)
	if err != nil {
		return nil, err
	}
	enc, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	if err := w.cache.Set(ctx, templateFieldsKey, string(enc), templateFieldsTTL); err != nil {
		w.log.Warn("cache the template fields", "err", err)
	}
	return fields, nil
}

// checkTemplateFields compares the configured templates with the
// platform's. The platform's content names each field ("{{thing1.DATA}}")
// and the name carries its type, which Templates has already held every
// mapping to at start; what the listing adds is whether each mapped field
// exists in the template the platform has under that id. A mismatch is
// logged as an error naming the kind and field; the start does not wait
// for the platform.
func (w *Worker) checkTemplateFields(ctx context.Context) {
	if w.opt.TemplateFields == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fields, err := w.platformFields(ctx)
	if err != nil {
		w.log.Warn("could not read the account's templates from WeChat; field types come from the configuration", "err", err)
		return
	}
	for _, problem := range templateProblems(w.render.templates, fields) {
		w.log.Error("push template does not match WeChat's", "problem", problem)
	}
}

// templateProblems lists where templates disagree with the platform's
// fields (template id → field names).
func templateProblems(templates map[string]Template, platform map[string][]string) []string {
	var out []string
	check := func(what string, t Template) {
		have, ok := platform[t.ID]
		if t.ID == "" {
			return
		}
		if !ok {
			out = append(out, fmt.Sprintf("%s: WeChat has no template %s", what, t.ID))
			return
		}
		for _, field := range slices.Sorted(maps.Keys(t.Fields)) {
			if !slices.Contains(have, field) {
				out = append(out, fmt.Sprintf("%s field %s: not in template %s (it has %s)", what, field, t.ID, strings.Join(have, ", ")))
			}
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(templates)) {
		t := templates[kind]
		check(kind, t)
		if t.Subscribe != nil {
			check(kind+" subscribe", *t.Subscribe)
		}
	}
	return out
}
