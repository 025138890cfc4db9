package wecom

import (
	"context"
	"fmt"
	"regexp"
)

// App groups (/90245): created by the app, internal members only, 2 to 2000
// of them; the app's visible range must be the root department. WeCom
// delivers no group messages to the app and shows no template cards in them,
// so they get notices, and the interactive part goes 1:1.

var chatIDPattern = regexp.MustCompile(`^[0-9a-zA-Z]{1,32}$`)

// CreateAppChat creates an app group with appchat/create and returns its
// chatid. chatID may be empty to let WeCom choose one; owner must be one of
// users.
func (a *Adapter) CreateAppChat(ctx context.Context, name, owner string, users []string, chatID string) (string, error) {
	if len(users) < 2 {
		return "", fmt.Errorf("wecom: an app group needs at least 2 members, got %d", len(users))
	}
	if chatID != "" && !chatIDPattern.MatchString(chatID) {
		return "", fmt.Errorf("wecom: chatid %q must be 1–32 characters of [0-9a-zA-Z]", chatID)
	}
	req := struct {
		Name     string   `json:"name"`
		Owner    string   `json:"owner,omitempty"`
		UserList []string `json:"userlist"`
		ChatID   string   `json:"chatid,omitempty"`
	}{name, owner, users, chatID}
	var ans struct {
		ChatID string `json:"chatid"`
	}
	if err := a.client.postJSON(ctx, "/cgi-bin/appchat/create", nil, req, &ans); err != nil {
		return "", err
	}
	return ans.ChatID, nil
}
