package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"zhenggai/bot"
	"zhenggai/cards"
)

// sendRobot sends a robot message (msgKey + msgParam) to a group through
// groupMessages/send, or to a user through oToMessages/batchSend. The
// message id is "pqk:" + the processQueryKey.
func (a *Adapter) sendRobot(ctx context.Context, to bot.Target, msgKey string, param any) (bot.MessageRef, error) {
	mp, err := json.Marshal(param)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("dingtalk: encode msgParam: %w", err)
	}
	ref := bot.MessageRef{Platform: bot.DingTalk, ChatID: to.ChatID}
	if to.ChatID != "" {
		var out struct {
			ProcessQueryKey string `json:"processQueryKey"`
		}
		body := map[string]any{"robotCode": a.opts.RobotCode, "openConversationId": to.ChatID, "msgKey": msgKey, "msgParam": string(mp)}
		if err := a.api.call(ctx, http.MethodPost, "/v1.0/robot/groupMessages/send", body, &out); err != nil {
			return bot.MessageRef{}, fmt.Errorf("dingtalk: send to group %s: %w", to.ChatID, err)
		}
		ref.MessageID = "pqk:" + out.ProcessQueryKey
		return ref, nil
	}
	var out struct {
		ProcessQueryKey           string   `json:"processQueryKey"`
		InvalidStaffIDList        []string `json:"invalidStaffIdList"`
		FlowControlledStaffIDList []string `json:"flowControlledStaffIdList"`
	}
	body := map[string]any{"robotCode": a.opts.RobotCode, "userIds": []string{to.UserID}, "msgKey": msgKey, "msgParam": string(mp)}
	if err := a.api.call(ctx, http.MethodPost, "/v1.0/robot/oToMessages/batchSend", body, &out); err != nil {
		return bot.MessageRef{}, fmt.Errorf("dingtalk: send to user %s: %w", to.UserID, err)
	}
	// An HTTP 200 can still hide a recipient who was not reached.
	if slices.Contains(out.InvalidStaffIDList, to.UserID) {
		return bot.MessageRef{}, fmt.Errorf("dingtalk: send to user %s: not a valid userid of the organisation (invalidStaffIdList): %w", to.UserID, bot.ErrPermanent)
	}
	if slices.Contains(out.FlowControlledStaffIDList, to.UserID) {
		return bot.MessageRef{}, &bot.RateLimitedError{RetryAfter: flowControlRetry,
			Err: fmt.Errorf("dingtalk: send to user %s: throttled (flowControlledStaffIdList)", to.UserID)}
	}
	ref.MessageID = "pqk:" + out.ProcessQueryKey
	return ref, nil
}

// flowControlRetry is when a throttled recipient is tried again.
const flowControlRetry = 2 * time.Minute

// sendCard creates and delivers an interactive card, or sends it as a
// robot message when no template fits (see sendMessage).
func (a *Adapter) sendCard(ctx context.Context, to bot.Target, c *cards.Card, mentions []string) (bot.MessageRef, error) {
	tpl, form, rendered, err := a.renderFor(c)
	if err != nil || tpl == "" {
		if err != nil {
			a.log.WarnContext(ctx, "Card does not fit the DingTalk templates; sending markdown", slog.String("title", c.Title), slog.Any("error", err))
		}
		return a.sendMessage(ctx, to, c, mentions)
	}
	if err := a.ensureCallbackRoute(ctx); err != nil {
		return bot.MessageRef{}, err
	}
	id := newOutTrackID(form)
	body := map[string]any{
		"cardTemplateId": tpl,
		"outTrackId":     id,
		"callbackType":   "STREAM",
		"cardData":       map[string]any{"cardParamMap": rendered.ParamsFor(form)},
		"userIdType":     1,
	}
	if a.opts.Mode == ModeHTTP {
		body["callbackType"] = "HTTP"
		body["callbackRouteKey"] = callbackRouteKey
	}
	if to.ChatID != "" {
		body["openSpaceId"] = "dtv1.card//IM_GROUP." + to.ChatID
		body["imGroupOpenSpaceModel"] = map[string]any{"supportForward": false}
		body["imGroupOpenDeliverModel"] = map[string]any{"robotCode": a.opts.RobotCode}
	} else {
		body["openSpaceId"] = "dtv1.card//IM_ROBOT." + to.UserID
		body["imRobotOpenSpaceModel"] = map[string]any{"supportForward": false}
		body["imRobotOpenDeliverModel"] = map[string]any{"spaceType": "IM_ROBOT", "robotCode": a.opts.RobotCode}
	}
	var out struct {
		Success bool `json:"success"`
		Result  struct {
			OutTrackID     string `json:"outTrackId"`
			DeliverResults []struct {
				SpaceType string `json:"spaceType"`
				SpaceID   string `json:"spaceId"`
				Success   bool   `json:"success"`
				ErrorMsg  string `json:"errorMsg"`
			} `json:"deliverResults"`
		} `json:"result"`
	}
	if err := a.api.call(ctx, http.MethodPost, "/v1.0/card/instances/createAndDeliver", body, &out); err != nil {
		return bot.MessageRef{}, fmt.Errorf("dingtalk: create card for %s: %w", targetKey(to), err)
	}
	for _, r := range out.Result.DeliverResults {
		if !r.Success {
			err := fmt.Errorf("dingtalk: deliver card to %s %s: %s", r.SpaceType, r.SpaceID, r.ErrorMsg)
			if transientDeliverError(r.ErrorMsg) {
				return bot.MessageRef{}, err
			}
			return bot.MessageRef{}, fmt.Errorf("%w: %w", bot.ErrPermanent, err)
		}
	}
	return bot.MessageRef{Platform: bot.DingTalk, ChatID: to.ChatID, MessageID: id}, nil
}

func transientDeliverError(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "system") || strings.Contains(m, "timeout") || strings.Contains(m, "busy") ||
		strings.Contains(m, "限流") || strings.Contains(m, "flow")
}

// renderFor picks the template for c and renders it. An empty template
// means: send markdown.
func (a *Adapter) renderFor(c *cards.Card) (tpl string, form bool, r *cards.DingTalkCard, err error) {
	if a.opts.CardTemplateID == "" && a.opts.FormTemplateID == "" {
		return "", false, nil, nil
	}
	r, err = cards.RenderDingTalk(c)
	if err != nil {
		return "", false, nil, err
	}
	switch {
	case r.HasForm && a.opts.FormTemplateID != "":
		return a.opts.FormTemplateID, true, r, nil
	case r.HasForm:
		return "", false, nil, nil
	case a.opts.CardTemplateID != "":
		return a.opts.CardTemplateID, false, r, nil
	}
	// Only the form template: it shows read-only cards too (no form).
	return a.opts.FormTemplateID, true, r, nil
}

// UpdateCard redraws a card for everyone through PUT /v1.0/card/instances,
// with every variable its template binds: DingTalk merges by key, so what
// the new card lacks is sent empty (a form that is gone is disabled).
// Only cards sent as template cards can be updated, and a card made with
// the read-only template cannot grow a form: both fail for good
// (bot.ErrPermanent and bot.ErrNotSupported), and the old card stays.
func (a *Adapter) UpdateCard(ctx context.Context, ref bot.MessageRef, c *cards.Card) error {
	id := ref.MessageID
	if ref.Token != "" {
		id = ref.Token
	}
	isCard, isForm := isCardRef(id)
	if !isCard {
		return fmt.Errorf("dingtalk: message %s is not an interactive card: %w: %w", id, bot.ErrPermanent, bot.ErrNotSupported)
	}
	r, err := cards.RenderDingTalk(c)
	if err != nil {
		return err
	}
	if r.HasForm && !isForm {
		return fmt.Errorf("dingtalk: card %s was made without the form template: %w: %w", id, bot.ErrPermanent, bot.ErrNotSupported)
	}
	return a.putCard(ctx, id, publicParams(r.ParamsFor(isForm)))
}

func (a *Adapter) putCard(ctx context.Context, outTrackID string, params map[string]string) error {
	body := map[string]any{
		"outTrackId":        outTrackID,
		"cardData":          map[string]any{"cardParamMap": params},
		"cardUpdateOptions": map[string]any{"updateCardDataByKey": true, "updatePrivateDataByKey": true},
		"userIdType":        1,
	}
	var out struct {
		Success bool `json:"success"`
	}
	if err := a.api.call(ctx, http.MethodPut, "/v1.0/card/instances", body, &out); err != nil {
		return fmt.Errorf("dingtalk: update card %s: %w", outTrackID, err)
	}
	return nil
}

// ensureCallbackRoute registers our HTTP card-callback URL once (HTTP mode
// only): cards created with callbackType HTTP name it by route key.
func (a *Adapter) ensureCallbackRoute(ctx context.Context) error {
	if a.opts.Mode != ModeHTTP {
		return nil
	}
	a.routeMu.Lock()
	defer a.routeMu.Unlock()
	if a.routeReady {
		return nil
	}
	if a.opts.PublicBaseURL == "" {
		return errors.New("dingtalk: PUBLIC_BASE_URL is required in HTTP mode to register the card callback URL")
	}
	body := map[string]any{
		"callbackRouteKey": callbackRouteKey,
		"callbackUrl":      strings.TrimRight(a.opts.PublicBaseURL, "/") + "/callback/dingtalk/card",
		"apiSecret":        a.opts.CardCallbackSecret,
		"forceUpdate":      true,
	}
	if err := a.api.call(ctx, http.MethodPost, "/v1.0/card/callbacks/register", body, nil); err != nil {
		return fmt.Errorf("dingtalk: register card callback URL: %w", err)
	}
	a.routeReady = true
	return nil
}
