package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"zsjc/config"
	"zsjc/secure"
	"zsjc/service"
)

// rekey re-seals every personal-data value to the configured (or -to)
// suite and ZSJC_DATA_KEY, online and resumable: servers keep serving,
// since they read every configured key and suite. Set the servers'
// ZSJC_CRYPTO (and ZSJC_OLD_DATA_KEYS for a new key) first, so that new
// values are written in the target suite, then run it.
func rekey(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rekey", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dryRun := fs.Bool("dry-run", false, "only print the rows per suite and key id")
	to := fs.String("to", cfg.Crypto, "target suite: aes or sm")
	batch := fs.Int("batch", 500, "rows per batch")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError{"rekey: expected [-dry-run] [-to aes|sm] [-batch N]"}
	}
	if !slices.Contains(secure.Suites, *to) {
		return usageError{fmt.Sprintf("rekey: -to must be aes or sm, got %q", *to)}
	}
	target := *cfg
	target.Crypto = *to
	a, err := wire(ctx, &target, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	sealer := a.svc.Sealer()
	fmt.Fprintf(stdout, "target: %s/%s\n", sealer.Suite(), sealer.KeyID())
	if err := printSealed(ctx, a.svc, stdout); err != nil || *dryRun {
		return err
	}
	res, err := a.svc.Rekey(ctx, *batch, func(table string, done int64) {
		fmt.Fprintf(stdout, "  %s: %d rekeyed\n", table, done)
	})
	if err != nil {
		return fmt.Errorf("rekey: %w (run it again to resume)", err)
	}
	fmt.Fprintf(stdout, "rekeyed %d values (%d changed meanwhile: run again if any remain)\n", res.Rekeyed, res.Changed)
	return printSealed(ctx, a.svc, stdout)
}

func printSealed(ctx context.Context, svc *service.Service, stdout io.Writer) error {
	counts, err := svc.SealedCounts(ctx)
	if err != nil {
		return err
	}
	for _, c := range counts {
		fmt.Fprintf(stdout, "%s.%s\t%s\t%d rows\n", c.Table, c.Column, c.Sealed, c.Rows)
	}
	return nil
}
