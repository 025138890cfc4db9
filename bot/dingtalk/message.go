package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"zhenggai/bot"
	"zhenggai/cards"
)

// Cards without templates. A markdown message can carry
// dtmd://dingtalkclient/sendMessage links: clicked in the robot's 1:1 chat,
// the link's text is sent to the robot as the user's own message. Every
// action of a card becomes such a link sending its command (Options.Command),
// so a click does what the template card's button would; forms continue as
// dialogs (Forms is false). In a group the robot hears only messages that
// @-mention it, so a link there would send a message nobody handles: a group
// gets the notice with the commands as text to send after @整改助手, and
// the card with its links goes 1:1 to each person the message mentions.

// groupNoticeHint ends a group notice whose actions also went 1:1.
const groupNoticeHint = "相关人员已在与整改助手的单聊中收到可点击的操作。"

// sendMessage sends c as a robot message: to a user with its actions as
// dtmd links; to a group as a notice, and, when it has actions, 1:1 with
// the links to each mentioned user. The reference is the group notice's.
func (a *Adapter) sendMessage(ctx context.Context, to bot.Target, c *cards.Card, mentions []string) (bot.MessageRef, error) {
	if to.ChatID == "" {
		key, param := cards.DingTalkMessage(c, cards.DingTalkMessageOptions{Command: a.opts.Command})
		return a.sendRobot(ctx, to, key, param)
	}
	// The notice lists the commands as text: anyone may @-mention the
	// robot with one.
	direct := cards.DingTalkHasActions(c) && len(mentions) > 0
	o := cards.DingTalkMessageOptions{Command: a.opts.Command, Group: true}
	if direct {
		o.Hint = groupNoticeHint
	}
	key, param := cards.DingTalkMessage(c, o)
	ref, err := a.sendRobot(ctx, to, key, param)
	if err != nil || !direct {
		return ref, err
	}
	for _, u := range distinct(mentions) {
		_, err := a.sendMessage(ctx, a.DirectTarget(u), c, nil)
		switch {
		case errors.Is(err, bot.ErrPermanent):
			// Someone DingTalk does not know must not hold up the others,
			// nor repeat the notice.
			a.log.WarnContext(ctx, "Card for a mentioned user not delivered", slog.String("chat_id", to.ChatID),
				slog.String("user_id", u), slog.Any("error", err))
		case err != nil:
			// The group notice is out; retrying repeats it, the lesser harm.
			return bot.MessageRef{}, fmt.Errorf("dingtalk: card for %s after the group notice: %w", u, err)
		}
	}
	return ref, nil
}

// FanOut reports the 1:1 chats a send to a group also reaches: without a
// template for the card, each mentioned user's, when the card has actions
// (sendMessage). With templates the card stays in the group.
func (a *Adapter) FanOut(to bot.Target, m *bot.Message) map[string]bot.Target {
	if to.ChatID == "" || m.Card == nil || m.File != nil || !cards.DingTalkHasActions(m.Card) {
		return nil
	}
	if tpl, _, _, err := a.renderFor(m.Card); err == nil && tpl != "" {
		return nil
	}
	out := map[string]bot.Target{}
	for _, u := range distinct(m.Mentions) {
		out[u] = a.DirectTarget(u)
	}
	return out
}

// distinct returns users once each, in order, without empty ones.
func distinct(users []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range users {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}
