package handlers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
	"zhenggai/store"
)

// 看板 in the chat: a personal link to the web dashboard (package
// handlers/dash). The link is single use, valid DashLinkTTL, bound to the
// person; only the sha256 of its token is kept (store/dashboard.go). It is
// sent only to the person's 1:1 chat: asked in a group, the group hears
// that it went there.

// DashLinkTTL is how long a login link stays valid.
const DashLinkTTL = 10 * time.Minute

// DashLoginPath is the login link's path under the base URL.
const DashLoginPath = "/dash/login"

// DashboardLink issues a login link to the dashboard for person at base
// (PUBLIC_BASE_URL) and returns it with its expiry. The link is a secret:
// callers show it to the person only and never log it.
func DashboardLink(ctx context.Context, st *store.Store, c *store.Campaign, person *store.Person, base string, now time.Time) (string, time.Time, error) {
	if strings.TrimSpace(base) == "" {
		return "", time.Time{}, errors.New("handlers: dashboard link: no base URL (PUBLIC_BASE_URL)")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("handlers: dashboard link: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	expires := now.Add(DashLinkTTL)
	if err := st.CreateDashToken(ctx, c.ID, person.ID, token, now, expires); err != nil {
		return "", time.Time{}, fmt.Errorf("handlers: dashboard link: %w", err)
	}
	return strings.TrimRight(base, "/") + DashLoginPath + "?t=" + token, expires, nil
}

// DashboardLinkFor is the CLI's `zhenggai dashboard link --person KEY`: a
// link for the person of the current campaign.
func DashboardLinkFor(ctx context.Context, st *store.Store, personKey, base string, now time.Time) (string, time.Time, error) {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("handlers: dashboard link: no campaign: %w", err)
	}
	p, err := st.PersonByKey(ctx, personKey)
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, fmt.Errorf("handlers: dashboard link: no person %q", personKey)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	roles, err := st.RolesOf(ctx, c.ID, p.ID)
	if err != nil {
		return "", time.Time{}, err
	}
	if !MayUseDashboard(roles) {
		return "", time.Time{}, fmt.Errorf("handlers: dashboard link: %s (%s) is neither of the office nor of a unit", p.Name, p.Key)
	}
	return DashboardLink(ctx, st, c, p, base, now)
}

// MayUseDashboard reports whether a person with roles has anything to see
// on the dashboard: the office, or the people of a unit. The chat asks it
// before issuing a link, the dashboard again at login.
func MayUseDashboard(roles store.Roles) bool {
	return roles.Office || len(roles.Leads)+len(roles.Liaises)+len(roles.Member) > 0
}

// msgDashNoRight refuses 看板 to one with nothing to see on it.
const msgDashNoRight = "看板供市局专项整治办公室、各单位领导和联络人使用。"

// dashboardCommand answers 看板 (and the 看板 button of the digests).
func (h *handler) dashboardCommand(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if err := requireCampaign(r); err != nil {
		return nil, err
	}
	if r.Person == nil || !MayUseDashboard(r.Roles) {
		return nil, bot.Refuse(msgDashNoRight)
	}
	link, expires, err := DashboardLink(ctx, r.Store, r.Campaign, r.Person, h.deps.DashboardBase, r.Now)
	if err != nil {
		if h.deps.DashboardBase == "" {
			return nil, bot.Refuse("看板地址尚未配置（PUBLIC_BASE_URL），请联系系统管理员。")
		}
		return nil, err
	}
	c := dashLinkCard(link, expires, r.Campaign.Location())
	if r.Event.Chat.Kind == bot.Group {
		// The link is the person's alone: never in the group.
		ok, err := r.SendToPerson(ctx, r.Person.ID, bot.Message{Card: c}, "", "")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, bot.Refuse("无法向您的单聊发送看板链接：未找到您可用的账号。")
		}
		return bot.TextReply("看板登录链接仅在单聊中发送，已发送到您与整改助手的单聊。"), nil
	}
	return bot.CardReply(c), nil
}

// dashLinkCard is the card that carries a login link.
func dashLinkCard(link string, expires time.Time, loc *time.Location) *cards.Card {
	return &cards.Card{Title: "整改通看板", Tone: cards.ToneInfo, Blocks: []cards.Block{
		cards.MD(fmt.Sprintf("点击下方按钮登录看板，查看各单位红黄绿灯、月报报送、逾期问题和趋势。\n"+
			"链接仅限您本人使用一次，%s 前有效；请勿转发。如按钮无法打开，请复制链接到浏览器：\n%s",
			expires.In(loc).Format("15:04"), link)),
		cards.ButtonsBlock(cards.Button{Text: "打开看板", URL: link, Style: cards.StylePrimary}),
	}}
}
