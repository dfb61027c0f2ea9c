package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"zsjc/config"
	"zsjc/service"
)

// retention runs the retention pass now (the server runs it daily):
// -dry-run prints what would go and removes nothing.
func retention(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dry := fs.Bool("dry-run", false, "only count what would be removed")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError{"retention: expected [-dry-run]"}
	}
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.svc.ApplyRetention(ctx, *dry)
	if err != nil {
		return err
	}
	verb := "removed"
	if *dry {
		verb = "would remove"
	}
	r := cfg.Retention
	fmt.Fprintf(stdout, "%s: %d uploads (older than %d days), %d pushes (%d days), %d callback records (%d days), %d audit rows (%d days), %d consent records (ended %d years ago), %d online file review PDFs (requests ended %d days ago)\n",
		verb, rep.Uploads, r.UploadsDays, rep.Pushes, r.PushesDays, rep.Callbacks, r.CallbacksDays, rep.Audit, r.AuditDays,
		rep.Consents, service.ConsentProofYears, rep.EfileFiles, r.UploadsDays)
	return nil
}
