// Package config reads the environment of DESIGN.md 7.2 once into a plain
// struct. Every secret may be given as NAME_FILE instead of NAME; secrets
// never appear in String.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
)

// Config is the whole configuration. Struct tags name the variable; a
// `secret` tag hides the value in String and enables NAME_FILE.
type Config struct {
	DatabaseURL string `env:"DATABASE_URL" secret:"url"`
	// MigrateDatabaseURL is the owner role's URL, for migrations (`zhenggai
	// migrate`); DATABASE_URL is then a role that may only read the audit
	// tables and append through audit_append. Unset: DATABASE_URL does both
	// (the demo), and doctor says so.
	MigrateDatabaseURL string `env:"MIGRATE_DATABASE_URL" secret:"url"`
	HTTPAddr           string `env:"HTTP_ADDR" default:":8080"`
	LogLevel           string `env:"LOG_LEVEL" default:"info"`
	LogFormat          string `env:"LOG_FORMAT" default:"text"`

	FeishuAppID             string `env:"FEISHU_APP_ID"`
	FeishuAppSecret         string `env:"FEISHU_APP_SECRET" secret:"true"`
	FeishuVerificationToken string `env:"FEISHU_VERIFICATION_TOKEN" secret:"true"`
	FeishuEncryptKey        string `env:"FEISHU_ENCRYPT_KEY" secret:"true"`
	FeishuMode              string `env:"FEISHU_MODE" default:"ws"`
	FeishuBaseURL           string `env:"FEISHU_BASE_URL" default:"https://open.feishu.cn"`
	// FeishuSendRate is the app's send quota in requests a second (Feishu's
	// default frequency control is 50); 0 turns the app-wide limit off,
	// for a local fake. The 5 QPS per chat and per user always apply.
	FeishuSendRate string `env:"FEISHU_SEND_RATE" default:"50"`

	DingTalkClientID           string `env:"DINGTALK_CLIENT_ID"`
	DingTalkClientSecret       string `env:"DINGTALK_CLIENT_SECRET" secret:"true"`
	DingTalkRobotCode          string `env:"DINGTALK_ROBOT_CODE"`
	DingTalkMode               string `env:"DINGTALK_MODE" default:"stream"`
	DingTalkBaseURL            string `env:"DINGTALK_BASE_URL" default:"https://api.dingtalk.com"`
	DingTalkCardCallbackSecret string `env:"DINGTALK_CARD_CALLBACK_SECRET" secret:"true"`
	// DingTalkCardTemplateID and DingTalkFormTemplateID are the card-platform
	// templates of deploy/dingtalk/; without them cards go out as markdown and
	// forms become dialogs.
	DingTalkCardTemplateID string `env:"DINGTALK_CARD_TEMPLATE_ID"`
	DingTalkFormTemplateID string `env:"DINGTALK_FORM_TEMPLATE_ID"`

	WeComCorpID         string `env:"WECOM_CORP_ID"`
	WeComAgentID        string `env:"WECOM_AGENT_ID"`
	WeComSecret         string `env:"WECOM_SECRET" secret:"true"`
	WeComToken          string `env:"WECOM_TOKEN" secret:"true"`
	WeComEncodingAESKey string `env:"WECOM_ENCODING_AES_KEY" secret:"true"`
	WeComBaseURL        string `env:"WECOM_BASE_URL" default:"https://qyapi.weixin.qq.com"`

	PublicBaseURL string `env:"PUBLIC_BASE_URL"`
	// FileMaxMB is the largest file (佐证) the bot keeps, in MB (MiB); a
	// larger one is answered in the chat and not saved. At most
	// MaxFileMaxMB (the files table's limit).
	FileMaxMB string `env:"FILE_MAX_MB" default:"20"`
	// PprofAddr, when set (127.0.0.1:6060), serves Go's profiler there, for
	// the load benchmark and an operator chasing a slowdown. Keep it on
	// loopback: it is not authenticated.
	PprofAddr  string `env:"PPROF_ADDR"`
	HTTPSProxy string `env:"HTTPS_PROXY" secret:"url"`
}

// Load reads the configuration through getenv (os.Getenv in main, a map in
// tests) and readFile (os.ReadFile) for NAME_FILE variables. It does not
// validate; call Validate.
func Load(getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	c := &Config{}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	var errs []error
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("env")
		val := getenv(name)
		if f.Tag.Get("secret") != "" {
			if path := getenv(name + "_FILE"); path != "" {
				if val != "" {
					errs = append(errs, fmt.Errorf("config: set %s or %s_FILE, not both", name, name))
					continue
				}
				b, err := readFile(path)
				if err != nil {
					errs = append(errs, fmt.Errorf("config: %s_FILE: %w", name, err))
					continue
				}
				val = strings.TrimRight(string(b), "\r\n")
			}
		}
		if name == "HTTPS_PROXY" && val == "" {
			val = getenv("https_proxy")
		}
		if val == "" {
			val = f.Tag.Get("default")
		}
		v.Field(i).SetString(val)
	}
	return c, errors.Join(errs...)
}

// FeishuSendRateValue is FEISHU_SEND_RATE as a number.
func (c *Config) FeishuSendRateValue() (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(c.FeishuSendRate))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("config: FEISHU_SEND_RATE %q", c.FeishuSendRate)
	}
	return n, nil
}

// MaxFileMaxMB is the largest FILE_MAX_MB: the files table's limit.
const MaxFileMaxMB = 100

// FileMaxBytes is FILE_MAX_MB in bytes.
func (c *Config) FileMaxBytes() (int64, error) {
	n, err := strconv.Atoi(strings.TrimSpace(c.FileMaxMB))
	if err != nil || n < 1 || n > MaxFileMaxMB {
		return 0, fmt.Errorf("config: FILE_MAX_MB %q", c.FileMaxMB)
	}
	return int64(n) << 20, nil
}

// FeishuEnabled reports whether Feishu credentials are set.
func (c *Config) FeishuEnabled() bool { return c.FeishuAppID != "" || c.FeishuAppSecret != "" }

// DingTalkEnabled reports whether DingTalk credentials are set.
func (c *Config) DingTalkEnabled() bool {
	return c.DingTalkClientID != "" || c.DingTalkClientSecret != ""
}

// WeComEnabled reports whether WeCom credentials are set.
func (c *Config) WeComEnabled() bool { return c.WeComCorpID != "" || c.WeComSecret != "" }

// SimEnabled reports whether the simulator is on: when no platform is.
func (c *Config) SimEnabled() bool {
	return !c.FeishuEnabled() && !c.DingTalkEnabled() && !c.WeComEnabled()
}

// Validate checks the values and their combinations; its errors name the
// variables.
func (c *Config) Validate() error {
	var errs []error
	need := func(cond bool, format string, args ...any) {
		if !cond {
			errs = append(errs, fmt.Errorf("config: "+format, args...))
		}
	}
	need(c.DatabaseURL != "", "DATABASE_URL is required")
	need(oneOf(c.LogLevel, "debug", "info", "warn", "error"), "LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel)
	need(oneOf(c.LogFormat, "text", "json"), "LOG_FORMAT must be text or json, not %q", c.LogFormat)
	need(validURL(c.FeishuBaseURL), "FEISHU_BASE_URL is not an http(s) URL: %q", c.FeishuBaseURL)
	_, rateErr := c.FeishuSendRateValue()
	need(rateErr == nil, "FEISHU_SEND_RATE must be a whole number of requests a second (0 for no limit), not %q", c.FeishuSendRate)
	_, fileErr := c.FileMaxBytes()
	need(fileErr == nil, "FILE_MAX_MB must be a whole number of megabytes from 1 to %d, not %q", MaxFileMaxMB, c.FileMaxMB)
	need(validURL(c.DingTalkBaseURL), "DINGTALK_BASE_URL is not an http(s) URL: %q", c.DingTalkBaseURL)
	need(validURL(c.WeComBaseURL), "WECOM_BASE_URL is not an http(s) URL: %q", c.WeComBaseURL)
	need(c.PublicBaseURL == "" || validURL(c.PublicBaseURL), "PUBLIC_BASE_URL is not an http(s) URL: %q", c.PublicBaseURL)
	need(c.HTTPSProxy == "" || validURL(c.HTTPSProxy), "HTTPS_PROXY is not an http(s) URL")
	need(c.PprofAddr == "" || loopback(c.PprofAddr), "PPROF_ADDR must be a loopback address such as 127.0.0.1:6060, not %q", c.PprofAddr)
	if c.FeishuEnabled() {
		need(c.FeishuAppID != "" && c.FeishuAppSecret != "", "FEISHU_APP_ID and FEISHU_APP_SECRET must both be set")
		need(oneOf(c.FeishuMode, "ws", "webhook"), "FEISHU_MODE must be ws or webhook, not %q", c.FeishuMode)
		if c.FeishuMode == "webhook" {
			need(c.FeishuVerificationToken != "", "FEISHU_VERIFICATION_TOKEN is required when FEISHU_MODE=webhook")
			need(c.FeishuEncryptKey != "", "FEISHU_ENCRYPT_KEY is required when FEISHU_MODE=webhook (callbacks must be signed)")
		}
	}
	if c.DingTalkEnabled() {
		need(c.DingTalkClientID != "" && c.DingTalkClientSecret != "", "DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET must both be set")
		need(c.DingTalkRobotCode != "", "DINGTALK_ROBOT_CODE is required with DingTalk")
		need(oneOf(c.DingTalkMode, "stream", "http"), "DINGTALK_MODE must be stream or http, not %q", c.DingTalkMode)
	}
	if c.WeComEnabled() {
		need(c.WeComCorpID != "" && c.WeComSecret != "", "WECOM_CORP_ID and WECOM_SECRET must both be set")
		need(c.WeComAgentID != "", "WECOM_AGENT_ID is required with WeCom")
		need(isDigits(c.WeComAgentID), "WECOM_AGENT_ID must be a number, not %q", c.WeComAgentID)
		need(c.WeComToken != "", "WECOM_TOKEN is required with WeCom (callbacks)")
		need(len(c.WeComEncodingAESKey) == 43, "WECOM_ENCODING_AES_KEY must be 43 characters")
	}
	return errors.Join(errs...)
}

// CardCallbackSecret is DINGTALK_CARD_CALLBACK_SECRET, defaulting to the
// client secret.
func (c *Config) CardCallbackSecret() string {
	if c.DingTalkCardCallbackSecret != "" {
		return c.DingTalkCardCallbackSecret
	}
	return c.DingTalkClientSecret
}

// String dumps the configuration, one NAME=value a line, with secrets
// hidden and passwords removed from URLs.
func (c *Config) String() string {
	var sb strings.Builder
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		val := v.Field(i).String()
		switch f.Tag.Get("secret") {
		case "true":
			if val != "" {
				val = "******"
			}
		case "url":
			val = redactURL(val)
		}
		fmt.Fprintf(&sb, "%s=%s\n", f.Tag.Get("env"), val)
	}
	return sb.String()
}

func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "******"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func oneOf(s string, opts ...string) bool {
	for _, o := range opts {
		if s == o {
			return true
		}
	}
	return false
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// loopback reports whether addr is host:port on a loopback host.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
