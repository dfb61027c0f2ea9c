package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"zsjc/config"
	"zsjc/service"
)

// unitCommand runs "unit add" and "unit import".
func unitCommand(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "import") {
		return usageError{"unit: expected 'unit add' or 'unit import FILE.csv'"}
	}
	if args[0] == "import" {
		return unitImport(ctx, cfg, args[1:], stdout)
	}
	fs := flag.NewFlagSet("unit add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := service.UnitInput{
		Code:           fs.String("code", "", "unit code, 1–32 characters (e.g. the administrative code 360000)"),
		Name:           fs.String("name", "", "unit name"),
		ParentCode:     fs.String("parent", "", "parent unit code (none: a top-level unit)"),
		Level:          fs.String("level", "", "province | city | county | special (default: one below the parent)"),
		Address:        fs.String("address", "", "address"),
		Phone:          fs.String("phone", "", "phone"),
		ReceptionHours: fs.String("hours", "", "reception hours"),
		Head:           fs.String("head", "", "responsible person"),
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{"unit add: " + err.Error()}
	}
	if *in.Code == "" || *in.Name == "" {
		return usageError{"unit add: -code and -name are required"}
	}
	if *in.Level == "" {
		in.Level = nil
	}
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	u, err := a.svc.CreateUnit(ctx, cliActor, in)
	if err != nil {
		return cliError("unit add", err)
	}
	fmt.Fprintf(stdout, "created unit %s %s (level %s, parent %q)\n", u.Code, u.Name, u.Level, u.ParentCode)
	return nil
}

// unitImport loads a unit file (header: service.UnitColumns) in one
// transaction: a bad row refuses the whole file, naming line and field.
func unitImport(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"unit import: expected exactly one FILE.csv"}
	}
	f, err := os.Open(args[0])
	if err != nil {
		return fmt.Errorf("unit import: %w", err)
	}
	defer f.Close()
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	n, err := a.svc.ImportUnits(ctx, cliActor, f)
	if err != nil {
		return fmt.Errorf("unit import %s: %w", args[0], err)
	}
	fmt.Fprintf(stdout, "imported %s: %d units created\n", args[0], n)
	return nil
}
