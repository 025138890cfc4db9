package handlers

import (
	"sort"
	"strings"
	"unicode"

	"zhenggai/bot"
	"zhenggai/store"
)

// Acknowledgements. After the leader's answer, an enterprise contact
// naturally replies "满意", "谢谢" or "好的👍": short words that close the
// loop and are not a new message for the leader. ackOf reads them; the
// relay (enterprise_relay.go) acts on what it read.

// ack is what a short reply of an enterprise contact means.
type ack string

// Acknowledgements. ackThanks is a thank-you without a rating; the others
// are the choices of the answer's buttons.
const (
	ackNone       ack = ""
	ackThanks     ack = "thanks"
	ackSatisfied  ack = store.RatingSatisfied
	ackBasically  ack = store.RatingBasically
	ackUnresolved ack = store.RatingUnsatisfied
)

// ackWords are the words of each acknowledgement, as typed (the buttons'
// own labels included: 已解决（满意）, 基本满意, 仍未解决).
var ackWords = map[ack][]string{
	ackSatisfied: {"已解决满意", "已解决", "满意", "非常满意", "很满意", "挺满意", "十分满意", "问题已解决", "解决了", "已经解决",
		"已经解决了", "问题解决了", "好评", "五星好评"},
	ackBasically: {"基本满意", "基本解决", "基本解决了", "还行", "还可以", "一般"},
	ackUnresolved: {"仍未解决", "未解决", "没解决", "没有解决", "还没解决", "还没有解决", "不满意", "问题没解决", "问题未解决",
		"没解决好", "不行"},
}

// thanksWords are politeness that carries no choice; any mix of them (收到，
// 谢谢！) is a thank-you, and they may surround a choice (满意，谢谢).
var thanksWords = []string{"谢谢你们", "谢谢领导", "谢谢您", "谢谢", "感谢你们", "感谢领导", "感谢您", "感谢", "非常感谢", "多谢",
	"谢了", "辛苦了", "辛苦", "好的", "好滴", "好嘞", "收到", "知道了", "明白", "了解", "ok", "okay", "嗯嗯", "嗯", "好", "行",
	"可以", "没问题", "thanks", "thankyou", "thx"}

// ackMaxRunes bounds an acknowledgement: anything longer is a message.
const ackMaxRunes = 24

// ackOf reads text as an acknowledgement, or ackNone when it is a message
// of its own (a question, a new request, anything with content).
func ackOf(text string) ack {
	s := ackNormalize(text)
	if s == "" {
		if strings.TrimSpace(text) != "" && len([]rune(strings.TrimSpace(text))) <= ackMaxRunes {
			return ackThanks // only emoji and punctuation: 👍, 🙏🙏
		}
		return ackNone
	}
	if len([]rune(s)) > ackMaxRunes {
		return ackNone
	}
	// Thank-you words around the choice go first, longest first.
	rest := stripThanks(s)
	if rest == "" {
		return ackThanks
	}
	return ackChoice(rest)
}

// ackNormalize folds widths and case and drops spaces, punctuation,
// symbols and emoji.
func ackNormalize(text string) string {
	var sb strings.Builder
	for _, r := range bot.FoldWidth(text) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Mn, r) ||
			r == '\uFE0F' || r == '\u200D' || unicode.IsControl(r) {
			continue
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

var thanksByLength = func() []string {
	out := append([]string(nil), thanksWords...)
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}()

// stripThanks removes thank-you words at the start and end of s, until
// what is left is a choice word or nothing ("好的，满意，谢谢" → 满意).
func stripThanks(s string) string {
	for s != "" && ackChoice(s) == ackNone {
		cut := false
		for _, w := range thanksByLength {
			if strings.HasPrefix(s, w) {
				s, cut = s[len(w):], true
				break
			}
			if strings.HasSuffix(s, w) {
				s, cut = s[:len(s)-len(w)], true
				break
			}
		}
		if !cut {
			break
		}
	}
	return s
}

// ackChoice returns the choice s is one of the words of, or ackNone.
func ackChoice(s string) ack {
	for _, a := range []ack{ackUnresolved, ackBasically, ackSatisfied} {
		for _, w := range ackWords[a] {
			if s == w {
				return a
			}
		}
	}
	return ackNone
}
