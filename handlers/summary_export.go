package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zhenggai/store"
)

// ExportMilestone writes every unit's package of the current campaign's
// milestone key into dir (zhenggai milestone export --key summary -o DIR):
// a folder per unit with each part's text as .md, its files, the 整改台账
// .xlsx kept at submission (or confirmation), a 清单.md of what is there
// and missing, and manifest.json over all units. It returns how many units
// it wrote.
func ExportMilestone(ctx context.Context, st *store.Store, key, dir string) (int, error) {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return 0, fmt.Errorf("handlers: export milestone: no campaign: %w", err)
	}
	m, err := st.MilestoneByKey(ctx, c.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("handlers: export milestone: campaign %s has no milestone %q", c.Key, key)
	}
	if err != nil {
		return 0, fmt.Errorf("handlers: export milestone: %w", err)
	}
	if !m.IsPackage() {
		return 0, fmt.Errorf("handlers: export milestone: milestone %q has no package (campaign file: package.parts)", key)
	}
	units, err := milestoneUnits(ctx, st, m)
	if err != nil {
		return 0, fmt.Errorf("handlers: export milestone: %w", err)
	}
	ss, err := loadPackageStatuses(ctx, st, m, units)
	if err != nil {
		return 0, fmt.Errorf("handlers: export milestone: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("handlers: export milestone: %w", err)
	}
	loc := c.Location()
	var manifest []map[string]any
	for i, s := range ss {
		folder := fmt.Sprintf("%02d-%s", i+1, safeName(s.u.Name))
		entry, err := exportPackage(ctx, st, s, filepath.Join(dir, folder), loc)
		if err != nil {
			return 0, fmt.Errorf("handlers: export milestone: %s: %w", s.u.Name, err)
		}
		entry["folder"] = folder
		manifest = append(manifest, entry)
	}
	data, err := json.MarshalIndent(map[string]any{"campaign": c.Name, "milestone": m.Key, "title": m.Title,
		"due": civil(m.DueOn).Format(time.DateOnly), "units": manifest}, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("handlers: export milestone: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644); err != nil {
		return 0, fmt.Errorf("handlers: export milestone: %w", err)
	}
	return len(ss), nil
}

// exportPackage writes one unit's package into dir and returns its
// manifest entry.
func exportPackage(ctx context.Context, st *store.Store, s *packageStatus, dir string, loc *time.Location) (map[string]any, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	state := "未开始"
	switch {
	case s.complete():
		state = "已提交 " + s.p.CompletedAt.In(loc).Format("2006-01-02 15:04")
	case s.p != nil:
		state = "填写中"
	}
	var files []string
	write := func(name string, data []byte) error {
		files = append(files, name)
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	writePart := func(prefix, heading string, p *store.SummaryPart) error {
		if p == nil {
			return nil
		}
		text := "# " + heading + "\n\n" + p.Body + "\n"
		if err := write(prefix+".md", []byte(text)); err != nil {
			return err
		}
		for i, id := range p.FileIDs {
			f, err := st.FileByID(ctx, id)
			if err != nil {
				return err
			}
			if err := write(fmt.Sprintf("%s-附件%d-%s", prefix, i+1, safeName(p.Names[i])), f.Content); err != nil {
				return err
			}
		}
		return nil
	}
	for i, part := range s.m.Parts {
		n := fmt.Sprintf("%02d", i+1)
		switch part {
		case store.PartReport:
			if err := writePart(n+"-总结报告", s.u.Name+"总结报告", s.report); err != nil {
				return nil, err
			}
		case store.PartAccountability:
			if err := writePart(n+"-追责问责和容错免责专题报告", s.u.Name+"追责问责和容错免责专题报告", s.acct); err != nil {
				return nil, err
			}
		case store.PartCases:
			for _, c := range s.cases {
				if err := writePart(fmt.Sprintf("%s-典型案例%d-%s", n, c.Seq, safeName(c.Title)), c.Title, c); err != nil {
					return nil, err
				}
			}
		case store.PartLedger:
			if s.p != nil && s.p.LedgerFileID != nil {
				f, err := st.FileByID(ctx, *s.p.LedgerFileID)
				if err != nil {
					return nil, err
				}
				if err := write(n+"-整改台账.xlsx", f.Content); err != nil {
					return nil, err
				}
			}
		case store.PartProgress:
			var b strings.Builder
			b.WriteString("# " + s.u.Name + "整改中、长期推进问题的现阶段成效和长期举措\n")
			for _, it := range s.items {
				note := s.notes[it.ID]
				effect, measures := "（未填写）", "（未填写）"
				if note != nil && note.Effect != "" {
					effect = note.Effect
				}
				if note != nil && note.Measures != "" {
					measures = note.Measures
				}
				fmt.Fprintf(&b, "\n## %s（%s）\n\n%s\n\n- 现阶段成效：%s\n- 长期举措：%s\n", it.Number, statusName(it.Status), it.Description, effect, measures)
			}
			if err := write(n+"-现阶段成效和长期举措.md", []byte(b.String())); err != nil {
				return nil, err
			}
		}
	}
	missing := s.missing()
	var b strings.Builder
	fmt.Fprintf(&b, "# %s · %s\n\n状态：%s\n\n## 文件\n\n", s.u.Name, s.m.Title, state)
	for _, f := range files {
		b.WriteString("- " + f + "\n")
	}
	if len(missing) > 0 && !s.complete() {
		b.WriteString("\n## 尚缺\n\n")
		for _, x := range missing {
			b.WriteString("- " + x + "\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "清单.md"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	if missing == nil {
		missing = []string{}
	}
	return map[string]any{"unit": s.u.Name, "state": state, "complete": s.complete(), "files": files, "missing": missing}, nil
}

// safeName makes a name usable as a file name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return truncateRunes(s, 60)
}
