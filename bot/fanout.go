package bot

import (
	"bytes"
	"encoding/json"
	"slices"
)

// One message per person per chat (DESIGN 4.1). A planner sends a
// reminder to a unit's group, mentioning the person concerned, and to that
// person 1:1; where the platform turns the group send into 1:1 copies for
// the mentioned (a FanOuter), that person would get the same card twice
// in his 1:1 chat. The copy addressed to him stays, since it does not
// depend on the group send, and he is left out of the fan-out.

// OneCopyPerChat returns outs with every group message's mentions trimmed
// of the users its adapter would fan the message out to in a chat another
// of outs already sends the same card to. It changes nothing for adapters
// that do not fan out.
func (b *Bot) OneCopyPerChat(outs []Outgoing) []Outgoing {
	direct := map[Target][][]byte{}
	for _, o := range outs {
		if o.To.ChatID == "" && o.Message.Card != nil {
			direct[o.To] = append(direct[o.To], cardJSON(o.Message))
		}
	}
	if len(direct) == 0 {
		return outs
	}
	out := slices.Clone(outs)
	for i, o := range out {
		if o.To.ChatID == "" || o.Message.Card == nil || len(o.Message.Mentions) == 0 {
			continue
		}
		fo, ok := b.adapters[o.To.Platform].(FanOuter)
		if !ok {
			continue
		}
		card := cardJSON(o.Message)
		reach := fo.FanOut(o.To, &o.Message)
		var keep []string
		for _, u := range o.Message.Mentions {
			if t, fans := reach[u]; fans && slices.ContainsFunc(direct[t], func(c []byte) bool { return bytes.Equal(c, card) }) {
				continue
			}
			keep = append(keep, u)
		}
		if len(keep) != len(o.Message.Mentions) {
			out[i].Message.Mentions = keep
		}
	}
	return out
}

func cardJSON(m Message) []byte {
	b, _ := json.Marshal(m.Card)
	return b
}
