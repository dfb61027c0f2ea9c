package config

import "testing"

// Finding 15 of the security review (/metrics was public): prod serves it
// on its own address, 127.0.0.1:9464 unless set; dev keeps it on the main
// listener only.
func TestMetricsAddress(t *testing.T) {
	cfg, err := Load(env(prodEnv()), "")
	if err != nil || cfg.MetricsAddr != "127.0.0.1:9464" {
		t.Fatalf("prod default metrics address %q, %v", cfg.MetricsAddr, err)
	}
	vars := prodEnv()
	vars["ZSJC_METRICS_ADDR"] = "10.0.0.5:9465"
	if cfg, err := Load(env(vars), ""); err != nil || cfg.MetricsAddr != "10.0.0.5:9465" {
		t.Fatalf("set metrics address %q, %v", cfg.MetricsAddr, err)
	}
	if cfg, err := Load(env(map[string]string{}), ""); err != nil || cfg.MetricsAddr != "" {
		t.Fatalf("dev metrics address %q, %v", cfg.MetricsAddr, err)
	}
}
