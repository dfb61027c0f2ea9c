package service

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"gorm.io/gorm"

	"zsjc/model"
)

// Upload limits for binding materials.
const (
	MaxUploadSize = 10 << 20
	// A user may keep UploadQuotaFiles files of UploadQuotaBytes in all.
	UploadQuotaFiles = 30
	UploadQuotaBytes = 100 << 20
)

// UploadKinds is the vocabulary of material kinds: 委托书 (required for a
// lawyer's binding), 律所函, 执业证, anything else.
var UploadKinds = []string{kindPowerOfAttorney, "firm_letter", "license", "other"}

// File types accepted, decided by content, never by name or header.
var (
	materialTypes = []string{"application/pdf", "image/jpeg", "image/png"}
	documentTypes = []string{"application/pdf"}
)

var (
	ErrUploadQuota = model.NewError(model.KindConflict, "upload_quota", fmt.Sprintf("上传文件已达上限（%d 个或 %d MB），请联系案件管理部门", UploadQuotaFiles, UploadQuotaBytes>>20))
	ErrFileEmpty   = model.Invalid(map[string]string{"file": "请选择文件"})
)

func fileTooLarge(limit int64) error {
	return model.NewError(model.KindTooLarge, "file_too_large", fmt.Sprintf("文件不能超过 %d MB", limit>>20))
}

func fileTypeRefused(allowed []string) error {
	names := map[string]string{"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
	var list []string
	for _, t := range allowed {
		list = append(list, names[t])
	}
	return model.Invalid(map[string]string{"file": "文件须为 " + strings.Join(list, "、") + " 格式"})
}

// storedFile is a file saved in the file store, not yet in the database.
type storedFile struct {
	Key, ContentType string
	Size             int64
}

// storeFile sniffs r's content type, refuses types outside allowed and
// files over limit, and saves it. The caller deletes the file again if
// its transaction fails.
func (s *Service) storeFile(ctx context.Context, r io.Reader, limit int64, allowed []string) (storedFile, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return storedFile{}, fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return storedFile{}, ErrFileEmpty
	}
	ct := http.DetectContentType(head)
	if !slices.Contains(allowed, ct) {
		return storedFile{}, fileTypeRefused(allowed)
	}
	key, size, err := s.files.Save(ctx, io.MultiReader(bytes.NewReader(head), io.LimitReader(r, limit+1-int64(n))))
	if err != nil {
		return storedFile{}, err
	}
	if size > limit {
		s.dropFile(ctx, key)
		return storedFile{}, fileTooLarge(limit)
	}
	return storedFile{Key: key, ContentType: ct, Size: size}, nil
}

// dropFile removes a stored file whose database row was not written.
func (s *Service) dropFile(ctx context.Context, key string) {
	if err := s.files.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.Warn("remove orphan file", "key", key, "err", err)
	}
}

// cleanFileName keeps the base name of a client's file name, without
// control or format characters (bidi overrides such as U+202E would show
// "harmless\u202Efdp.exe" as "harmlessexe.pdf"), at most 100 runes.
func cleanFileName(name, fallback string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" || name == "." || name == "/" {
		return fallback
	}
	if rs := []rune(name); len(rs) > 100 {
		name = string(rs[len(rs)-100:])
	}
	return name
}

// SaveUpload stores a binding material for the user.
func (s *Service) SaveUpload(ctx context.Context, userID uint64, kind, fileName string, r io.Reader) (model.Upload, error) {
	kind = strings.TrimSpace(kind)
	if kind == "" {
		kind = "other"
	}
	if !slices.Contains(UploadKinds, kind) {
		return model.Upload{}, model.Invalid(map[string]string{"kind": "须为 " + strings.Join(UploadKinds, "、") + " 之一"})
	}
	// Asked before the file is stored, and again under the user's lock.
	if err := s.requireConsent(s.db.WithContext(ctx), userID, PurposeUploads); err != nil {
		return model.Upload{}, err
	}
	f, err := s.storeFile(ctx, r, MaxUploadSize, materialTypes)
	if err != nil {
		return model.Upload{}, err
	}
	up := model.Upload{UserID: userID, Kind: kind, FileKey: f.Key, FileName: cleanFileName(fileName, "material"),
		ContentType: f.ContentType, Size: f.Size}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// Locking the user's row serialises this user's uploads, so two
		// parallel ones cannot both slip under the quota.
		if err := s.requireConsent(tx, userID, PurposeUploads); err != nil {
			return err
		}
		var used struct {
			Files int64
			Bytes int64
		}
		if err := tx.Model(&model.Upload{}).Select("COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes").
			Where("user_id = ?", userID).Scan(&used).Error; err != nil {
			return fmt.Errorf("upload quota of user %d: %w", userID, err)
		}
		if used.Files+1 > UploadQuotaFiles || used.Bytes+f.Size > UploadQuotaBytes {
			return ErrUploadQuota
		}
		if err := tx.Create(&up).Error; err != nil {
			return fmt.Errorf("record upload: %w", err)
		}
		return nil
	})
	if err != nil {
		s.dropFile(ctx, f.Key)
		return model.Upload{}, err
	}
	return up, nil
}

// UserUpload opens one of the user's own uploads; another user's is
// ErrNotFound.
func (s *Service) UserUpload(ctx context.Context, userID, id uint64) (model.Upload, io.ReadSeekCloser, error) {
	var up model.Upload
	if err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Take(&up).Error; err != nil {
		return up, nil, notFoundIf(err)
	}
	f, err := s.files.Open(ctx, up.FileKey)
	return up, f, err
}

// StaffUpload opens any upload for staff reviewing a binding; the view is
// audited.
func (s *Service) StaffUpload(ctx context.Context, a Actor, id uint64) (model.Upload, io.ReadSeekCloser, error) {
	db := s.db.WithContext(ctx)
	var up model.Upload
	if err := db.Take(&up, id).Error; err != nil {
		return up, nil, notFoundIf(err)
	}
	// Staff of part of the units see the materials of their scope's
	// bindings only.
	if !a.Scope.unlimited() {
		var n int64
		err := a.Scope.where(db.Model(&model.BindingMaterial{}).Joins("JOIN bindings ON bindings.id = binding_materials.binding_id").
			Where("binding_materials.upload_id = ?", id), "bindings.unit_id").Count(&n).Error
		if err != nil {
			return up, nil, fmt.Errorf("bindings of upload %d: %w", id, err)
		}
		if n == 0 {
			return model.Upload{}, nil, model.ErrNotFound
		}
	}
	if err := s.Audit(ctx, a, "upload.view", fmt.Sprintf("upload:%d", id), ""); err != nil {
		return up, nil, err
	}
	f, err := s.files.Open(ctx, up.FileKey)
	return up, f, err
}
