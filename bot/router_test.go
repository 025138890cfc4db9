package bot

import "testing"

func TestSplitCommand(t *testing.T) {
	cases := []struct{ in, cmd, rest string }{
		{"台账", "台账", ""},
		{"  进展：已约谈相关人员 ", "进展", "已约谈相关人员"},
		{"进展: done", "进展", "done"},
		{"绑定 ABCD2345", "绑定", "ABCD2345"},
		{"月报\n本月完成", "月报", "本月完成"},
	}
	for _, c := range cases {
		cmd, rest := SplitCommand(c.in)
		if cmd != c.cmd || rest != c.rest {
			t.Errorf("%q: got (%q, %q)", c.in, cmd, rest)
		}
	}
}
