// Package feishu is the Feishu (飞书) adapter, on
// github.com/larksuite/oapi-sdk-go/v3 v3.11.0.
//
// Receiving. Events arrive over the long connection (FEISHU_MODE=ws, the
// default: larkws, no public URL) or as webhooks at POST /callback/feishu
// (FEISHU_MODE=webhook). Both hand the event's plaintext JSON to one
// function, handle, which decodes it into a bot.Event and dispatches it:
//
//   - im.message.receive_v1: 1:1 messages, and group messages that
//     @-mention the bot; mention placeholders (@_user_1) become names, the
//     bot's own mention is removed. Event.ID is the message_id (Feishu's
//     advice: message events may repeat with new event ids). Pictures,
//     files, videos and voice messages (and a post's pictures) are in
//     Event.Files as references ("message_id/type/key"), which the bot
//     downloads through FetchFile once the callback is answered (bot's
//     files.go): the bot keeps evidence (佐证), and the links expire.
//   - card.action.trigger: a button's callback value {"action": …, params}
//     becomes Action{Name, Params}; form_value becomes Action.Form (dates
//     "2023-06-30 +0800" → "2023-06-30", multi-selects as several values,
//     person pickers as open_ids). Event.ID is the event_id. The bot's reply
//     is answered synchronously (3 s budget): its toast and its card, as
//     card JSON 2.0, replace the clicked card.
//   - im.chat.member.bot.added_v1 / deleted_v1: KindJoined / KindLeft.
//
// Webhooks are checked before anything happens: the body must be
// encrypted with the Encrypt Key, X-Lark-Signature (sha256 of timestamp,
// nonce, Encrypt Key and the raw body) must match in constant time, the
// timestamp must be within the window (default 5 minutes) and the exact
// request not seen before, and header.token must equal the Verification
// Token. url_verification arrives unsigned and is answered after decryption
// and the token check. Any failure is a 401 with no effect, counted in
// zhenggai_events_rejected_total.
//
// Sending. im/v1/messages (receive_id_type chat_id or open_id), replies
// through /reply, cards as interactive card JSON 2.0, text with
// <at user_id="…"> mentions, files uploaded first. Every send carries a
// uuid, Feishu's idempotency key (one success per uuid per hour): it is
// "zg" + the first 40 hex digits of sha256(delivery key, receive id, message
// type, content, reply-to). The delivery worker gives every attempt of one
// delivery the same key, so a retry after a lost answer is not sent twice;
// without a key the same content to the same target within an hour is sent
// once.
//
// The tenant_access_token is fetched through the SDK and cached here (the
// SDK's own cache is process-global and keeps serving a token Feishu calls
// invalid); on 99991663/99991661/99991664/99991671 it is dropped and the call
// retried once with a fresh one. Sends to one chat or user are held to 5 a
// second; HTTP 429 and codes 99991400/230020/11232/11233 become a
// *bot.RateLimitedError (after x-ogw-ratelimit-reset); 230038/230013 (a
// user of another tenant without 对外共享, or outside the app's
// availability) and other codes retrying cannot fix wrap bot.ErrPermanent
// with a reason in Chinese.
package feishu
