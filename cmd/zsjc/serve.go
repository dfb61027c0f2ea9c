package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"zsjc/config"
	"zsjc/handler"
	"zsjc/model"
	"zsjc/service"
)

// shutdownGrace is how long in-flight requests may take after SIGTERM.
const shutdownGrace = 20 * time.Second

func serve(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	log := newLogger(cfg, stdout)
	a, err := wire(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	// Listen first: a start that cannot serve (port busy) must not print,
	// or renew, the demo password.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &config.Error{Var: "ZSJC_ADDR", Reason: err.Error()}
	}
	log.Info("listening", "addr", ln.Addr().String(), "mode", string(cfg.Mode))
	if cfg.Dev() {
		log.Info("dev mode: demo data, local WeChat sandbox and dev login; not for production",
			"data_dir", cfg.DataDir, "embedded_db", cfg.MySQLDSN == "", "in_process_cache", cfg.RedisAddr == "")
		pw, err := a.svc.SeedDemo(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		if pw != "" {
			// On the console only, at every start until the admin logs in.
			fmt.Fprintf(stdout, "demo staff account: username %s, password %s (renewed at each start until the first login; later: zsjc staff reset-password -username %s)\n",
				service.DemoAdmin, pw, service.DemoAdmin)
		}
		accounts, err := a.svc.SeedDemoProvince(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		for _, acc := range accounts {
			// Printed once, on the console only: the accounts are new.
			fmt.Fprintf(stdout, "demo staff account created: username %s (case manager of unit %s), password %s (shown once)\n",
				acc.Username, acc.Unit, acc.Password)
		}
	}
	if a.wx.sandbox != nil {
		base := sandboxBase(cfg)
		fmt.Fprintf(stdout, "WeChat sandbox: open %s/sandbox in a browser (staff console: %s/staff/)\n", base, base)
	}
	if cfg.MetricsAddr != "" {
		metricsLn, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return &config.Error{Var: "ZSJC_METRICS_ADDR", Reason: err.Error()}
		}
		log.Info("metrics listening", "addr", metricsLn.Addr().String())
		metrics := &http.Server{Handler: handler.MetricsHandler(a.registry), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = metrics.Serve(metricsLn) }()
		defer metrics.Close()
	}
	return runServer(ctx, a.httpServer(), ln, a.workers())
}

// httpServer is the HTTP server of the wired app.
func (a *app) httpServer() *http.Server {
	return &http.Server{
		Handler:           handler.New(a.handlerDeps()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // uploads of up to 20 MiB on slow phones
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// runServer serves on ln until ctx ends, then stops accepting, lets
// in-flight requests finish (up to shutdownGrace) and waits for the
// background workers, which get a context that ends with ctx.
func runServer(ctx context.Context, srv *http.Server, ln net.Listener, workers []func(context.Context)) error {
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w(ctx)
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		wg.Wait()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	db, err := openStorage(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB(db)
	fmt.Fprintf(stdout, "migrated %d tables\n", len(model.All()))
	return nil
}

// staffAdd creates a staff account. The password comes from stdin when
// stdin is not a terminal (scripts), else it is prompted for twice.
func staffAdd(ctx context.Context, cfg *config.Config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "admin | case_manager | prosecutor")
	display := fs.String("name", "", "display name (defaults to the username)")
	unit := fs.String("unit", "", "the account's unit code (default: the root unit while it is the only unit)")
	if err := fs.Parse(args); err != nil {
		return usageError{"staff add: " + err.Error()}
	}
	if *username == "" || *role == "" {
		return usageError{"staff add: -username and -role are required"}
	}
	pw, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	st, err := a.svc.CreateStaff(ctx, cliActor, service.NewStaff{Username: *username, DisplayName: *display, Role: *role, Password: pw, UnitCode: *unit})
	if err != nil {
		return cliError("staff add", err)
	}
	fmt.Fprintf(stdout, "created staff %s (id %d, role %s)\n", st.Username, st.ID, st.Role)
	return nil
}

// staffResetPassword sets a staff account's password from the command line
// (a forgotten demo admin password, a locked-out administrator); the
// password is read as for staff add, and the account's sessions end.
func staffResetPassword(ctx context.Context, cfg *config.Config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff reset-password", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "login name")
	if err := fs.Parse(args); err != nil {
		return usageError{"staff reset-password: " + err.Error()}
	}
	if *username == "" {
		return usageError{"staff reset-password: -username is required"}
	}
	pw, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	st, err := a.svc.ResetStaffPasswordByName(ctx, cliActor, *username, pw)
	if err != nil {
		return cliError("staff reset-password", err)
	}
	fmt.Fprintf(stdout, "password of staff %s (id %d) reset; its sessions ended\n", st.Username, st.ID)
	return nil
}

// staffReset2FA drops an account's TOTP secret and recovery codes (its next
// login enrols again) and ends its sessions: `staff reset-2fa NAME` or
// `staff reset-2fa -username NAME`.
func staffReset2FA(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff reset-2fa", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "login name")
	if err := fs.Parse(args); err != nil {
		return usageError{"staff reset-2fa: " + err.Error()}
	}
	if *username == "" && fs.NArg() == 1 {
		*username = fs.Arg(0)
	} else if *username == "" || fs.NArg() > 0 {
		return usageError{"staff reset-2fa: name one account: staff reset-2fa NAME"}
	}
	a, err := wire(ctx, cfg, newLogger(cfg, io.Discard))
	if err != nil {
		return err
	}
	defer a.close()
	st, err := a.svc.ResetStaffTwoFactorByName(ctx, cliActor, *username)
	if err != nil {
		return cliError("staff reset-2fa", err)
	}
	fmt.Fprintf(stdout, "two-factor login of staff %s (id %d) reset: it enrols again at its next login; its sessions ended\n", st.Username, st.ID)
	return nil
}

// cliActor is the operator at the command line: unrestricted, audited as "cli".
var cliActor = service.Actor{Name: "cli", Scope: service.AllUnits}

// cliError renders a use case's error for the command line, one field
// message after another.
func cliError(cmd string, err error) error {
	var de *model.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		parts := make([]string, 0, len(de.Fields))
		for f, m := range de.Fields {
			parts = append(parts, f+": "+m)
		}
		sort.Strings(parts)
		return fmt.Errorf("%s: %s", cmd, strings.Join(parts, "; "))
	}
	return fmt.Errorf("%s: %w", cmd, err)
}

func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stdout, "repeat password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("staff add: the passwords differ")
		}
		return string(first), nil
	}
	if stdin == nil {
		return "", errNoTerminal
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, 1024))
	if err != nil {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(string(raw), "\r\n")
	if pw == "" {
		return "", errNoTerminal
	}
	return pw, nil
}

// healthcheck asks the server on ZSJC_ADDR for /healthz; images without a
// shell or curl use it as their container health check.
func healthcheck(ctx context.Context, cfg *config.Config) error {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return &config.Error{Var: "ZSJC_ADDR", Reason: err.Error()}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", resp.StatusCode)
	}
	return nil
}
