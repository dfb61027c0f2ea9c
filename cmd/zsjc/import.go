package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"zsjc/config"
)

// importCases loads a daily case file (header: service.ImportColumns) in
// one transaction: a bad row refuses the whole file, naming line and field.
func importCases(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"import: expected exactly one FILE.csv"}
	}
	f, err := os.Open(args[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.svc.ImportCases(ctx, f)
	if err != nil {
		return fmt.Errorf("import %s: %w", args[0], err)
	}
	fmt.Fprintf(stdout, "imported %s: %d cases created, %d updated, %d parties\n", args[0], res.Created, res.Updated, res.Parties)
	return nil
}
