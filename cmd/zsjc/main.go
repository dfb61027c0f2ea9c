// Command zsjc runs the 掌上检察 backend and its operator subcommands.
//
//	zsjc [-config file.yaml] serve             run the server (default)
//	zsjc [-config file.yaml] migrate           create or update the tables
//	zsjc [-config file.yaml] staff add -username NAME -role admin|case_manager|prosecutor|complaints [-unit CODE]
//	zsjc [-config file.yaml] staff reset-password -username NAME   (password on stdin or prompted)
//	zsjc [-config file.yaml] staff reset-2fa NAME   drop the account's TOTP secret and recovery codes
//	zsjc [-config file.yaml] unit add -code CODE -name NAME [-parent CODE] [-level L] [-address …] [-phone …] [-hours …] [-head …]
//	zsjc [-config file.yaml] unit import FILE.csv   import units (one transaction)
//	zsjc [-config file.yaml] import FILE.csv   import cases and parties (one transaction)
//	zsjc [-config file.yaml] menu push [-f menu.yaml]  create the WeChat custom menu
//	zsjc [-config file.yaml] retention [-dry-run]  remove records past their retention period
//	zsjc [-config file.yaml] rekey [-dry-run] [-to aes|sm]  re-seal personal data to the current key and suite
//	zsjc [-config file.yaml] files migrate     copy ZSJC_DATA_DIR/files into the S3 bucket (resumable)
//	zsjc [-config file.yaml] healthcheck       probe the local server's /healthz (container health checks)
//
// Every subcommand reads the same ZSJC_* configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the office time zone must resolve on minimal images too

	"zsjc/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "zsjc:", err)
		os.Exit(1)
	}
}

// usageError marks a wrong command line; main prints it with the usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n" + usage }

const usage = `usage: zsjc [-config file.yaml] [serve | migrate | staff add -username NAME -role ROLE [-unit CODE] | staff reset-password -username NAME | staff reset-2fa NAME | unit add -code CODE -name NAME [-parent CODE] | unit import FILE.csv | import FILE.csv | menu push [-f menu.yaml] | files migrate | retention [-dry-run] | rekey [-dry-run] [-to aes|sm]]`

// run parses the command line and runs one subcommand until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	global := flag.NewFlagSet("zsjc", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	cfgPath := global.String("config", "", "YAML configuration file overlaying the ZSJC_* environment")
	if err := global.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	rest := global.Args()
	cmd := "serve"
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	cfg, err := config.Load(getenv, *cfgPath)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, stdout)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	case "bench":
		return bench(ctx, cfg, rest, stdout)
	case "import":
		return importCases(ctx, cfg, rest, stdout)
	case "retention":
		return retention(ctx, cfg, rest, stdout)
	case "rekey":
		return rekey(ctx, cfg, rest, stdout)
	case "staff":
		switch {
		case len(rest) > 0 && rest[0] == "add":
			return staffAdd(ctx, cfg, rest[1:], stdin, stdout)
		case len(rest) > 0 && rest[0] == "reset-password":
			return staffResetPassword(ctx, cfg, rest[1:], stdin, stdout)
		case len(rest) > 0 && rest[0] == "reset-2fa":
			return staffReset2FA(ctx, cfg, rest[1:], stdout)
		}
		return usageError{"staff: expected 'staff add', 'staff reset-password' or 'staff reset-2fa'"}
	case "unit":
		return unitCommand(ctx, cfg, rest, stdout)
	case "files":
		if len(rest) != 1 || rest[0] != "migrate" {
			return usageError{"files: expected 'files migrate'"}
		}
		return filesMigrate(ctx, cfg, stdout)
	case "menu":
		if len(rest) == 0 || rest[0] != "push" {
			return usageError{"menu: expected 'menu push'"}
		}
		return menuPush(ctx, cfg, rest[1:], stdout)
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

var errNoTerminal = errors.New("no terminal to prompt on: pipe the password on stdin")
