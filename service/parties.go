package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"zsjc/model"
	"zsjc/secure"
)

// PartyRoles is the vocabulary of a party's role on a case.
var PartyRoles = []string{
	"犯罪嫌疑人", "被告人", "被害人", "近亲属", "法定代理人", "诉讼代理人",
	"附带民事诉讼原告人", "附带民事诉讼被告人", "证人",
}

// PartyInput is one party as staff, the integration API or an import
// file give it. The id number is never stored or logged in plaintext.
type PartyInput struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	IDNumber string `json:"id_number"`
}

// validParty checks one party; prefix names the field in errors
// ("parties[2].").
func validParty(fe model.FieldErrors, prefix string, p PartyInput) PartyInput {
	p.Name = textField(fe, prefix+"name", p.Name, true, 64)
	p.Role = strings.TrimSpace(p.Role)
	if !slices.Contains(PartyRoles, p.Role) {
		fe.Add(prefix+"role", "角色须为以下之一："+strings.Join(PartyRoles, "、"))
	}
	if !secure.ValidIDNumber(p.IDNumber) {
		fe.Add(prefix+"id_number", "身份证号码格式不正确（18 位，末位校验码）")
	}
	return p
}

// AddParty adds a party to a case (staff).
func (s *Service) AddParty(ctx context.Context, a Actor, caseID uint64, in PartyInput) (model.Party, error) {
	fe := model.FieldErrors{}
	in = validParty(fe, "", in)
	if err := fe.Err(); err != nil {
		return model.Party{}, err
	}
	p, err := s.sealParty(caseID, in.Name, in.Role, in.IDNumber)
	if err != nil {
		return model.Party{}, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// Locking the case makes the duplicate check below race-free.
		if _, err := caseInScope(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "unit_id"), a, caseID); err != nil {
			return err
		}
		var dup int64
		hashes := s.sealer.Hashes(secure.NormalizeIDNumber(in.IDNumber))
		if err := tx.Model(&model.Party{}).Where("case_id = ? AND id_number_hash IN ?", caseID, hashes).
			Count(&dup).Error; err != nil {
			return fmt.Errorf("check party of case %d: %w", caseID, err)
		}
		if dup > 0 {
			return model.Invalid(map[string]string{"id_number": "该身份证号已在当事人名单中"})
		}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("add party to case %d: %w", caseID, err)
		}
		return s.audit(tx, a, "party.create", caseTarget(caseID), fmt.Sprintf("party:%d", p.ID))
	})
	return p, err
}

// RemoveParty deletes a party from a case and revokes the bindings made
// with it.
func (s *Service) RemoveParty(ctx context.Context, a Actor, caseID, partyID uint64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := caseInScope(tx.Select("id", "unit_id"), a, caseID); err != nil {
			return err
		}
		var p model.Party
		if err := tx.Where("id = ? AND case_id = ?", partyID, caseID).Take(&p).Error; err != nil {
			return notFoundIf(err)
		}
		if err := s.dropParties(tx, caseID, []uint64{p.ID}); err != nil {
			return err
		}
		return s.audit(tx, a, "party.delete", caseTarget(caseID), fmt.Sprintf("party:%d", p.ID))
	})
}

// reasonPartyRemoved is the revocation reason when a party leaves the list.
const reasonPartyRemoved = "当事人名单已变更"

// dropParties deletes parties and revokes (with a push) the approved
// bindings that were matched against them.
func (s *Service) dropParties(tx *gorm.DB, caseID uint64, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	var bindings []model.Binding
	if err := tx.Where("party_id IN ? AND status = ?", ids, model.StatusApproved).Find(&bindings).Error; err != nil {
		return fmt.Errorf("bindings of removed parties: %w", err)
	}
	for _, b := range bindings {
		if _, err := s.moveBinding(tx, System, b.ID, model.StatusRevoked, reasonPartyRemoved, true); err != nil {
			return err
		}
	}
	if err := tx.Where("case_id = ? AND id IN ?", caseID, ids).Delete(&model.Party{}).Error; err != nil {
		return fmt.Errorf("delete parties of case %d: %w", caseID, err)
	}
	return nil
}

// replaceParties makes the case's party list equal to list: parties are
// matched by id number (hash); a known one keeps its row (and bindings),
// names and roles are updated, missing ones are dropped.
func (s *Service) replaceParties(tx *gorm.DB, caseID uint64, list []PartyInput) ([]model.Party, error) {
	var existing []model.Party
	if err := tx.Where("case_id = ?", caseID).Find(&existing).Error; err != nil {
		return nil, fmt.Errorf("parties of case %d: %w", caseID, err)
	}
	byHash := map[string]model.Party{}
	for _, p := range existing {
		byHash[p.IDNumberHash] = p
	}
	keep := map[uint64]bool{}
	out := make([]model.Party, 0, len(list))
	for _, in := range list {
		p, err := s.sealParty(caseID, in.Name, in.Role, in.IDNumber)
		if err != nil {
			return nil, err
		}
		if old, ok := knownParty(byHash, s.sealer.Hashes(secure.NormalizeIDNumber(in.IDNumber))); ok {
			if keep[old.ID] {
				continue // listed twice
			}
			keep[old.ID] = true
			if old.Name != p.Name || old.Role != p.Role {
				if err := tx.Model(&old).Updates(map[string]any{"name": p.Name, "role": p.Role}).Error; err != nil {
					return nil, fmt.Errorf("update party %d: %w", old.ID, err)
				}
				old.Name, old.Role = p.Name, p.Role
			}
			out = append(out, old)
			continue
		}
		if err := tx.Create(&p).Error; err != nil {
			return nil, fmt.Errorf("add party to case %d: %w", caseID, err)
		}
		byHash[p.IDNumberHash] = p
		keep[p.ID] = true
		out = append(out, p)
	}
	var drop []uint64
	for _, p := range existing {
		if !keep[p.ID] {
			drop = append(drop, p.ID)
		}
	}
	return out, s.dropParties(tx, caseID, drop)
}

// knownParty finds a party by any of an id number's hashes: rows not yet
// rekeyed carry the hash of an older key or suite.
func knownParty(byHash map[string]model.Party, hashes []string) (model.Party, bool) {
	for _, h := range hashes {
		if p, ok := byHash[h]; ok {
			return p, true
		}
	}
	return model.Party{}, false
}

// Parties lists the parties of a case in the actor's scope, id numbers
// masked. Every call is audited, since it shows personal data.
func (s *Service) Parties(ctx context.Context, a Actor, caseID uint64, p Paging) (Page[model.Party], error) {
	var parties Page[model.Party]
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := caseInScope(tx.Select("id", "unit_id"), a, caseID); err != nil {
			return err
		}
		var err error
		parties, err = pageOf[model.Party](tx.Model(&model.Party{}).Where("case_id = ?", caseID), p, "id", fmt.Sprintf("parties of case %d", caseID))
		if err != nil {
			return err
		}
		return s.audit(tx, a, "party.view", caseTarget(caseID), fmt.Sprintf("%d 名当事人", len(parties.Items)))
	})
	return parties, err
}
