package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func load(t *testing.T, env map[string]string, files map[string]string) (*Config, error) {
	t.Helper()
	return Load(func(k string) string { return env[k] }, func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	})
}

func TestDefaultsAndSimulator(t *testing.T) {
	c, err := load(t, map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/db"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.FeishuMode != "ws" || c.DingTalkMode != "stream" || c.FeishuBaseURL != "https://open.feishu.cn" {
		t.Fatalf("defaults: %+v", c)
	}
	if !c.SimEnabled() {
		t.Fatal("no platform configured, yet the simulator is off")
	}
}

func TestSecretFiles(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://x@h/db", "FEISHU_APP_ID": "cli_1", "FEISHU_APP_SECRET_FILE": "/run/s"}
	c, err := load(t, env, map[string]string{"/run/s": "s3cret\n"})
	if err != nil {
		t.Fatal(err)
	}
	if c.FeishuAppSecret != "s3cret" {
		t.Fatalf("secret %q", c.FeishuAppSecret)
	}
	if c.SimEnabled() {
		t.Fatal("simulator on with Feishu configured")
	}
	env["FEISHU_APP_SECRET"] = "also"
	if _, err := load(t, env, map[string]string{"/run/s": "x"}); err == nil || !strings.Contains(err.Error(), "FEISHU_APP_SECRET_FILE") {
		t.Fatalf("both set: %v", err)
	}
	delete(env, "FEISHU_APP_SECRET")
	env["FEISHU_APP_SECRET_FILE"] = "/missing"
	if _, err := load(t, env, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestValidateNamesVariables(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "DATABASE_URL"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"FEISHU_APP_ID": "a"}, "FEISHU_APP_SECRET"},
		{map[string]string{"FEISHU_APP_ID": "a", "FEISHU_APP_SECRET": "b", "FEISHU_MODE": "webhook"}, "FEISHU_VERIFICATION_TOKEN"},
		{map[string]string{"WECOM_CORP_ID": "ww", "WECOM_SECRET": "s", "WECOM_AGENT_ID": "abc"}, "WECOM_AGENT_ID must be a number"},
		{map[string]string{"DINGTALK_CLIENT_ID": "d", "DINGTALK_CLIENT_SECRET": "s"}, "DINGTALK_ROBOT_CODE"},
		{map[string]string{"FEISHU_BASE_URL": "ftp://x"}, "FEISHU_BASE_URL"},
		{map[string]string{"FEISHU_SEND_RATE": "-1"}, "FEISHU_SEND_RATE"},
		{map[string]string{"FEISHU_SEND_RATE": "fast"}, "FEISHU_SEND_RATE"},
		{map[string]string{"FILE_MAX_MB": "0"}, "FILE_MAX_MB"},
		{map[string]string{"FILE_MAX_MB": "101"}, "FILE_MAX_MB"},
		{map[string]string{"FILE_MAX_MB": "20MB"}, "FILE_MAX_MB"},
		{map[string]string{"PPROF_ADDR": "0.0.0.0:6060"}, "PPROF_ADDR"},
	}
	for _, tc := range cases {
		if _, ok := tc.env["DATABASE_URL"]; !ok && tc.want != "DATABASE_URL" {
			tc.env["DATABASE_URL"] = "postgres://x@h/db"
		}
		c, err := load(t, tc.env, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: got %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}

func TestStringHidesSecrets(t *testing.T) {
	c, _ := load(t, map[string]string{
		"DATABASE_URL": "postgres://zg:pa55word@db/zg", "FEISHU_APP_ID": "cli_1", "FEISHU_APP_SECRET": "topsecret",
		"WECOM_ENCODING_AES_KEY": "aeskeyaeskey", "HTTPS_PROXY": "http://u:proxypass@proxy:3128",
	}, nil)
	s := c.String()
	for _, secret := range []string{"pa55word", "topsecret", "aeskeyaeskey", "proxypass"} {
		if strings.Contains(s, secret) {
			t.Fatalf("dump shows %q:\n%s", secret, s)
		}
	}
	if !strings.Contains(s, "FEISHU_APP_ID=cli_1") || !strings.Contains(s, "FEISHU_APP_SECRET=******") {
		t.Fatalf("dump:\n%s", s)
	}
}
