package service

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"zsjc/model"
)

// Published case information (重要案件信息) never names the people of a
// case: their names in the title and texts become surname + 某 (张三涉嫌盗窃案
// → 张某涉嫌盗窃案). Staff may set the public title themselves
// (Case.PublicTitle) before publishing; the console shows what will be
// published.

// maskNames replaces every name of names in text by its masked form.
func maskNames(text string, names []string) string {
	names = slices.Clone(names)
	// Longer names first, so 张三丰 is not cut to 张某丰 by 张三.
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(names))
	for _, n := range names {
		r := []rune(strings.TrimSpace(n))
		if len(r) < 2 {
			continue
		}
		pairs = append(pairs, string(r), string(r[0])+"某")
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// partyNames loads the party names of cases, by case id.
func partyNames(db *gorm.DB, caseIDs []uint64) (map[uint64][]string, error) {
	out := map[uint64][]string{}
	if len(caseIDs) == 0 {
		return out, nil
	}
	var rows []model.Party
	if err := db.Select("case_id", "name").Where("case_id IN ?", uniq(caseIDs)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("party names: %w", err)
	}
	for _, p := range rows {
		out[p.CaseID] = append(out[p.CaseID], p.Name)
	}
	return out, nil
}

// publicTitle is the title a case is published under.
func publicTitle(c model.Case, names []string) string {
	if t := strings.TrimSpace(c.PublicTitle); t != "" {
		return t
	}
	return maskNames(c.Name, names)
}

// maskDocuments renders documents for the public, their titles masked by
// the names of their cases' parties.
func maskDocuments(db *gorm.DB, docs []model.Document) ([]DocumentView, error) {
	ids := make([]uint64, len(docs))
	for i, d := range docs {
		ids[i] = d.CaseID
	}
	names, err := partyNames(db, ids)
	if err != nil {
		return nil, err
	}
	return maskedDocuments(docs, names), nil
}

// maskedDocuments renders documents for the public with the party names
// of their cases (by case id) masked in their titles.
func maskedDocuments(docs []model.Document, names map[uint64][]string) []DocumentView {
	out := DocumentViews(docs)
	for i := range out {
		out[i].Title = maskNames(out[i].Title, names[out[i].CaseID])
	}
	return out
}
