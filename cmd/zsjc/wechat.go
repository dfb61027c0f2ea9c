package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"zsjc/cache"
	"zsjc/config"
	"zsjc/wechat"
	"zsjc/wechat/wechattest"
)

// sandboxPath is where the fake WeChat platform is mounted in dev mode.
const sandboxPath = "/sandbox/wx"

// weChat is the wired WeChat side: the effective account settings, the
// platform client, the callback crypto and, in the sandbox, the fake.
type weChat struct {
	cfg    config.WeChat
	client *wechat.Client
	crypto *wechat.Crypto
	// sandbox is the in-process fake platform (dev mode without
	// credentials), nil otherwise.
	sandbox *wechattest.Platform
}

// setupWeChat builds the WeChat side. In dev mode with no AppID configured
// it runs the fake platform on our own server under /sandbox/wx with the
// sandbox account, so `go run ./cmd/zsjc` needs no configuration.
func setupWeChat(cfg *config.Config, store cache.Store, log *slog.Logger) (*weChat, error) {
	w := &weChat{cfg: cfg.WeChat}
	if cfg.Dev() && w.cfg.AppID == "" {
		base := sandboxBase(cfg) + sandboxPath
		w.cfg = config.WeChat{AppID: wechattest.AppID, Secret: wechattest.Secret, Token: wechattest.CallbackToken,
			AESKey: wechattest.EncodingAESKey, APIBase: base, OpenBase: base}
		w.sandbox = wechattest.New()
		log.Info("no WeChat credentials: using the local WeChat sandbox", "api_base", base)
	}
	var err error
	w.client, err = wechat.NewClient(wechat.Config{AppID: w.cfg.AppID, Secret: w.cfg.Secret,
		APIBase: w.cfg.APIBase, OpenBase: w.cfg.OpenBase, Cache: store, Log: log,
		Transport: platformTransport(cfg.Push.Concurrency)})
	if err != nil {
		return nil, &config.Error{Var: "ZSJC_WECHAT_APPID", Reason: err.Error()}
	}
	w.crypto, err = wechat.NewCrypto(w.cfg.Token, w.cfg.AppID, w.cfg.AESKey)
	if err != nil {
		return nil, &config.Error{Var: "ZSJC_WECHAT_AES_KEY", Reason: err.Error()}
	}
	if !cfg.Dev() && w.cfg.Token != "" && w.cfg.AESKey == "" {
		log.Warn("WeChat callbacks run in plaintext mode (明文模式): their signature does not cover the message, "+
			"so a captured callback's query string could carry a forged message within the 5-minute replay window "+
			"(only its first body is accepted); switch the account to safe mode (安全模式) and set ZSJC_WECHAT_AES_KEY",
			"setting", "ZSJC_WECHAT_AES_KEY")
	}
	return w, nil
}

// linkBase is the base of the links that replies and pushes carry: the
// public URL, or in dev without one the local address; in prod without a
// public URL there is no address to name (links stay relative).
func linkBase(cfg *config.Config) string {
	if cfg.PublicURL == "" && !cfg.Dev() {
		return ""
	}
	return sandboxBase(cfg)
}

// sandboxBase is our own server's URL: ZSJC_PUBLIC_URL, else
// http://localhost on the port of ZSJC_ADDR.
func sandboxBase(cfg *config.Config) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	port := "80"
	if _, p, err := net.SplitHostPort(cfg.Addr); err == nil && p != "" {
		port = p
	}
	return fmt.Sprintf("http://localhost:%s", port)
}

// platformTransport keeps enough idle connections to the platform for the
// push worker's concurrent sends (the default keeps two per host, so every
// further send would open a new TLS connection).
func platformTransport(concurrency int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency + 8
	t.MaxIdleConns = max(t.MaxIdleConns, t.MaxIdleConnsPerHost)
	return t
}
