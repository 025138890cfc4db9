-- Indexes found by the load benchmark (deploy/bench/load): an enterprise
-- request's linked ledger item is looked up by ledger_items.request_id on
-- every message of the request, which was a sequential scan of the ledger.
CREATE INDEX ledger_items_request_idx ON ledger_items (request_id) WHERE request_id IS NOT NULL;
-- A contact's held messages (and history) are found through its requests,
-- closed ones included: the partial unique index covers only open ones.
CREATE INDEX enterprise_requests_contact_idx ON enterprise_requests (contact_id);
