package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"zhenggai/store"
)

// ExportEvidence writes the files of the campaign's ledger items under dir,
// one folder per unit and item (dir/<unit>/<item number>/<file>), and
// dir/manifest.csv: item, unit, file (its path under dir), sha256, size,
// sender, time. unitKey and itemNumber narrow it; one that does not exist
// is an error naming it, and nothing is written. It returns how many files
// it wrote. The sha256 is computed from the bytes written, so the manifest
// can be checked with sha256sum. A file an item holds twice (sent twice) is
// written once.
func ExportEvidence(ctx context.Context, st *store.Store, dir, unitKey, itemNumber string) (int, error) {
	c, err := st.CurrentCampaign(ctx)
	if err != nil {
		return 0, fmt.Errorf("handlers: export evidence: no campaign: %w", err)
	}
	var unitID, itemID int64
	if unitKey != "" {
		u, err := st.UnitByKey(ctx, c.ID, unitKey)
		if errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("handlers: export evidence: no unit %q in campaign %s", unitKey, c.Key)
		}
		if err != nil {
			return 0, err
		}
		unitID = u.ID
	}
	if itemNumber != "" {
		it, err := st.LedgerItemByNumber(ctx, c.ID, strings.ToUpper(itemNumber))
		if errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("handlers: export evidence: no item %q in campaign %s", itemNumber, c.Key)
		}
		if err != nil {
			return 0, err
		}
		itemID = it.ID
	}
	evs, err := st.CampaignItemEvidence(ctx, c.ID, unitID, itemID)
	if err != nil {
		return 0, err
	}
	units, err := st.Units(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	unitName := map[int64]string{}
	for _, u := range units {
		unitName[u.ID] = u.Name
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("handlers: export evidence: %w", err)
	}
	mf, err := os.Create(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		return 0, fmt.Errorf("handlers: export evidence: %w", err)
	}
	defer mf.Close()
	_, _ = mf.WriteString("\ufeff") // Excel reads the CSV as UTF-8
	w := csv.NewWriter(mf)
	_ = w.Write([]string{"问题编号", "单位", "文件", "sha256", "大小（字节）", "发送人", "时间"})
	items := map[int64]*store.LedgerItem{}
	used := map[string]bool{}
	type held struct{ item, file int64 }
	written := map[held]bool{}
	n := 0
	for _, e := range evs {
		if written[held{*e.ItemID, e.FileID}] {
			continue // the same file sent twice for one item: once is enough
		}
		written[held{*e.ItemID, e.FileID}] = true
		it := items[*e.ItemID]
		if it == nil {
			if it, err = st.LedgerItemByID(ctx, *e.ItemID); err != nil {
				return n, err
			}
			items[it.ID] = it
		}
		f, err := st.FileByID(ctx, e.FileID)
		if err != nil {
			return n, err
		}
		rel := filepath.Join(safeName(unitName[it.UnitID]), safeName(it.Number), safeName(e.Name))
		for i := 2; used[rel]; i++ {
			ext := filepath.Ext(e.Name)
			rel = filepath.Join(safeName(unitName[it.UnitID]), safeName(it.Number), safeName(strings.TrimSuffix(e.Name, ext)+"-"+strconv.Itoa(i)+ext))
		}
		used[rel] = true
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return n, fmt.Errorf("handlers: export evidence: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), f.Content, 0o644); err != nil {
			return n, fmt.Errorf("handlers: export evidence: %w", err)
		}
		sum := sha256.Sum256(f.Content)
		_ = w.Write([]string{it.Number, unitName[it.UnitID], filepath.ToSlash(rel), hex.EncodeToString(sum[:]), strconv.Itoa(len(f.Content)),
			e.Sender, e.At.In(c.Location()).Format("2006-01-02 15:04:05")})
		n++
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return n, fmt.Errorf("handlers: export evidence: %w", err)
	}
	return n, mf.Close()
}
