package loadkit

import (
	"net/http/httptest"
	"strings"

	"zhenggai/bot/feishu/feishufake"
)

// The generated app's credentials (nothing of a real tenant).
const (
	AppID     = "cli_loadkit"
	AppSecret = "loadkit-secret"
	BotOpenID = "ou_bot_loadkit"
)

// App is the generated Feishu app as the platform knows it.
var App = feishufake.App{AppID: AppID, VerificationToken: "loadkit-token", EncryptKey: "loadkit-encrypt-key"}

// FakeFeishu is a local Feishu Open API on 127.0.0.1.
type FakeFeishu struct {
	*feishufake.API
	srv *httptest.Server
}

// StartFakeFeishu serves a fake Open API for App.
func StartFakeFeishu() *FakeFeishu {
	api := feishufake.NewAPI(App, AppSecret, BotOpenID)
	return &FakeFeishu{API: api, srv: httptest.NewServer(api.Handler())}
}

// URL is the API's base URL (FEISHU_BASE_URL).
func (f *FakeFeishu) URL() string { return f.srv.URL }

// Close stops the server.
func (f *FakeFeishu) Close() { f.srv.Close() }

// FeishuEnv is the environment of a bot in Feishu webhook mode against the
// fake API at apiURL (which has no app-wide send limit: FEISHU_SEND_RATE=0), on the database at dbURL, plus the caller's PATH,
// HOME and TMPDIR.
func FeishuEnv(dbURL, apiURL string, environ []string) []string {
	env := []string{
		"DATABASE_URL=" + dbURL,
		"FEISHU_APP_ID=" + AppID, "FEISHU_APP_SECRET=" + AppSecret, "FEISHU_MODE=webhook",
		"FEISHU_VERIFICATION_TOKEN=" + App.VerificationToken, "FEISHU_ENCRYPT_KEY=" + App.EncryptKey,
		"FEISHU_BASE_URL=" + apiURL, "FEISHU_SEND_RATE=0", "LOG_LEVEL=warn", "LOG_FORMAT=text",
	}
	for _, kv := range environ {
		for _, k := range []string{"PATH=", "HOME=", "TMPDIR=", "GOMAXPROCS=", "GOGC=", "GOMEMLIMIT="} {
			if strings.HasPrefix(kv, k) {
				env = append(env, kv)
			}
		}
	}
	return env
}
