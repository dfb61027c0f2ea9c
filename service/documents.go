package service

import (
	"context"
	"fmt"
	"io"

	"gorm.io/gorm"

	"zsjc/model"
)

// MaxDocumentSize caps a legal document's PDF.
const MaxDocumentSize = 20 << 20

// DocumentInput describes a legal document (法律文书) staff publish.
type DocumentInput struct {
	DocNo  string
	Title  string
	Type   string
	Public bool
}

// AddDocument stores a PDF and publishes it on the case.
func (s *Service) AddDocument(ctx context.Context, a Actor, caseID uint64, in DocumentInput, fileName string, r io.Reader) (model.Document, error) {
	fe := model.FieldErrors{}
	doc := model.Document{
		CaseID: caseID,
		DocNo:  textField(fe, "doc_no", in.DocNo, false, 100),
		Title:  textField(fe, "title", in.Title, true, 200),
		Type:   textField(fe, "type", in.Type, false, 64),
		Public: in.Public,
	}
	if err := fe.Err(); err != nil {
		return doc, err
	}
	// Check the case before taking the upload's bytes to disk.
	if _, err := caseInScope(s.db.WithContext(ctx).Select("id", "unit_id"), a, caseID); err != nil {
		return doc, err
	}
	f, err := s.storeFile(ctx, r, MaxDocumentSize, documentTypes)
	if err != nil {
		return doc, err
	}
	doc.FileKey, doc.ContentType, doc.Size = f.Key, f.ContentType, f.Size
	doc.FileName = cleanFileName(fileName, doc.Title+".pdf")
	doc.PublishedAt = s.Now()
	if a.StaffID != 0 {
		id := a.StaffID
		doc.CreatedBy = &id
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := caseInScope(tx.Select("id", "unit_id"), a, caseID); err != nil {
			return err
		}
		if err := tx.Create(&doc).Error; err != nil {
			return fmt.Errorf("record document: %w", err)
		}
		return s.audit(tx, a, "document.create", caseTarget(caseID), fmt.Sprintf("document:%d", doc.ID))
	})
	if err != nil {
		s.dropFile(ctx, f.Key)
	}
	return doc, err
}

// StaffDocuments lists the documents of a case in the actor's scope.
func (s *Service) StaffDocuments(ctx context.Context, a Actor, caseID uint64, p Paging) (Page[model.Document], error) {
	db := s.db.WithContext(ctx)
	if _, err := caseInScope(db.Select("id", "unit_id"), a, caseID); err != nil {
		return Page[model.Document]{}, err
	}
	return pageOf[model.Document](db.Model(&model.Document{}).Where("case_id = ?", caseID), p, "published_at DESC, id DESC",
		fmt.Sprintf("documents of case %d", caseID))
}

// UserDocuments lists a case's documents for a user with an approved
// binding; anyone else gets ErrNotFound.
func (s *Service) UserDocuments(ctx context.Context, userID, caseID uint64) ([]model.Document, error) {
	db := s.db.WithContext(ctx)
	if err := requireApproved(db, userID, caseID); err != nil {
		return nil, err
	}
	return caseDocuments(db, caseID)
}

func caseDocuments(db *gorm.DB, caseID uint64) ([]model.Document, error) {
	var docs []model.Document
	if err := db.Where("case_id = ?", caseID).Order("published_at DESC, id DESC").Find(&docs).Error; err != nil {
		return nil, fmt.Errorf("documents of case %d: %w", caseID, err)
	}
	return docs, nil
}

// PublicDocument is a published document, party names masked, with the
// unit of its case.
type PublicDocument struct {
	DocumentView
	Unit *UnitRef `json:"unit"`
}

// PublicDocuments lists the public documents, newest first: of the cases
// of the unit with unitCode and the units below it, or of all ("").
func (s *Service) PublicDocuments(ctx context.Context, unitCode string) ([]PublicDocument, error) {
	db := s.db.WithContext(ctx)
	units, err := s.publicSubtree(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	q := db.Table("documents").Select("documents.*, cases.unit_id AS case_unit_id").
		Joins("JOIN cases ON cases.id = documents.case_id").
		Where("documents.public = ? AND documents.withdrawn_at IS NULL", true).Order("documents.published_at DESC, documents.id DESC").Limit(500)
	if units != nil {
		q = q.Where("cases.unit_id IN ?", units)
	}
	var rows []struct {
		model.Document
		CaseUnitID uint64
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("public documents: %w", err)
	}
	docs := make([]model.Document, len(rows))
	for i, r := range rows {
		docs[i] = r.Document
	}
	views, err := maskDocuments(db, docs)
	if err != nil {
		return nil, err
	}
	out := make([]PublicDocument, len(views))
	for i, v := range views {
		out[i] = PublicDocument{DocumentView: v, Unit: s.unitRef(rows[i].CaseUnitID)}
	}
	return out, nil
}

// UserDocument opens a document for a user: a public one, or one of a
// case the user holds an approved binding to. Anything else is
// ErrNotFound, as for a document that does not exist — and found by the
// same single query, so that the answer takes the same time either way.
func (s *Service) UserDocument(ctx context.Context, userID, id uint64) (model.Document, io.ReadSeekCloser, error) {
	var doc model.Document
	err := s.db.WithContext(ctx).Where("id = ?", id).
		Where("public = ? OR EXISTS (SELECT 1 FROM bindings WHERE bindings.user_id = ? AND bindings.case_id = documents.case_id AND bindings.status = ?)",
			true, userID, model.StatusApproved).
		Take(&doc).Error
	if err != nil {
		return model.Document{}, nil, notFoundIf(err)
	}
	f, err := s.files.Open(ctx, doc.FileKey)
	return doc, f, err
}

// PublicDocument opens a public document for anyone.
func (s *Service) PublicDocument(ctx context.Context, id uint64) (model.Document, io.ReadSeekCloser, error) {
	var doc model.Document
	if err := s.db.WithContext(ctx).Where("id = ? AND public = ?", id, true).Take(&doc).Error; err != nil {
		return doc, nil, notFoundIf(err)
	}
	f, err := s.files.Open(ctx, doc.FileKey)
	return doc, f, err
}
