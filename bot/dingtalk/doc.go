// Package dingtalk is the DingTalk (钉钉) adapter: an enterprise app's robot
// in internal groups and 1:1 chats, with interactive cards built on our two
// card-platform templates (deploy/dingtalk/).
//
// Receiving. In Stream mode (the default) the official
// dingtalk-stream-sdk-go v0.9.2-beta.1 holds a WebSocket to DingTalk for
// robot messages (/v1.0/im/bot/messages/get) and card callbacks
// (/v1.0/card/instances/callback); Run owns reconnection with backoff,
// including a first connect that fails, and Health reports the connection
// and its last frame. In HTTP mode Mount serves POST /callback/dingtalk
// (headers timestamp and sign) and POST /callback/dingtalk/card
// (x-ddpaas-signature), verified with HMAC-SHA256 in constant time within
// an hour of now; a request that fails gets 401 and changes nothing. Both
// modes decode into the same bot.Event: group messages only when the robot
// is @-mentioned, 1:1 chats without a chat id (replies go to the user),
// files as references (their downloadCode) that the bot downloads through
// FetchFile once the callback is answered. Event ids are msgId for messages and a hash of
// (outTrackId, user, action, content) for card callbacks; bot.Dispatch
// records them in the event's transaction, so a duplicate does nothing.
//
// Acks. DingTalk does not redeliver robot messages; their reply is queued
// in the outbox. A card callback must be answered within 2 s: it is
// dispatched under a 1.8 s budget and answered with the reply's card (the
// clicker's view) and the toast as the clicker's private result line; then,
// outside the callback, everyone's copy is updated with
// PUT /v1.0/card/instances (in a group only for a submitted form: a
// button there changes the clicker's view). Updates carry every variable
// the template binds, since DingTalk merges them by key.
//
// Sending is hand-written HTTP to the v1.0 API (the SDK has none): an
// access token cached and renewed early or when refused,
// robot/groupMessages/send and robot/oToMessages/batchSend (throttled
// recipients are retried later, invalid ones fail for good with the
// reason), card/instances/createAndDeliver, and media upload for files.
// Without template ids cards go out as markdown messages whose actions are
// dtmd links sending the buttons' commands in 1:1 chats; a group gets the
// notice with the commands as text and the mentioned users the links 1:1
// (FanOut); forms become dialogs (Forms reports false), in the 1:1 chat.
package dingtalk
