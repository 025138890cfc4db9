-- Least privilege (deploy/README-operate.md, "Database"): the bot serves as
-- a role that may read the audit tables but never change them; it appends
-- only through audit_append, which runs with its owner's rights. The grants
-- to that role are made by `zhenggai migrate` (store.GrantRuntime), which
-- knows its name from DATABASE_URL.
--
-- Its search_path is pinned to this schema so that a caller cannot put its
-- own audit_head or audit_log in front of the real ones.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION audit_append(bigint, text, text, text, text, text, text, jsonb, jsonb) '
                   'SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END
$$;
REVOKE ALL ON FUNCTION audit_append(bigint, text, text, text, text, text, text, jsonb, jsonb) FROM PUBLIC;
