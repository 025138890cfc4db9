package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"zhenggai/store"
)

// IssueBindCode issues a single-use binding code for a person (by key) or an
// enterprise contact (enterprise key and contact name) of the current
// campaign, with an audit row. who describes the holder.
func IssueBindCode(ctx context.Context, st *store.Store, personKey, enterpriseKey, contactName string, expires time.Time) (code *store.BindCode, who string, err error) {
	if (personKey == "") == (enterpriseKey == "") || (enterpriseKey != "" && contactName == "") {
		return nil, "", errors.New("campaign code: give --person KEY, or --enterprise KEY with --contact NAME")
	}
	err = st.InTx(ctx, func(tx *store.Store) error {
		var personID, contactID *int64
		entity, entityID := "", ""
		if personKey != "" {
			p, err := tx.PersonByKey(ctx, personKey)
			if err != nil {
				return fmt.Errorf("campaign code: person %q: %w", personKey, err)
			}
			personID, who, entity, entityID = &p.ID, p.Name, "person", p.Key
		} else {
			c, err := tx.CurrentCampaign(ctx)
			if err != nil {
				return fmt.Errorf("campaign code: no campaign applied: %w", err)
			}
			e, err := tx.EnterpriseByKey(ctx, c.ID, enterpriseKey)
			if err != nil {
				return fmt.Errorf("campaign code: enterprise %q: %w", enterpriseKey, err)
			}
			cts, err := tx.Contacts(ctx, e.ID)
			if err != nil {
				return err
			}
			for _, ct := range cts {
				if ct.Name == contactName {
					contactID = &ct.ID
				}
			}
			if contactID == nil {
				// A contact the office registers by handing out a code.
				ct := &store.Contact{EnterpriseID: e.ID, Name: contactName}
				if err := tx.UpsertContact(ctx, ct); err != nil {
					return err
				}
				contactID = &ct.ID
			}
			who, entity, entityID = e.Name+" "+contactName, "contact", fmt.Sprint(*contactID)
		}
		var err error
		code, err = tx.CreateBindCode(ctx, personID, contactID, expires)
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, store.AuditParams{Actor: store.System, Entity: entity, EntityID: entityID,
			Action: "issue_bind_code", New: map[string]any{"code": code.Code, "expires_at": expires}})
	})
	return code, who, err
}
