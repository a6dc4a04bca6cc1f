-- migrate:up

-- Four references to a key named the key by id alone, so a row could point at
-- another organization's key. Each now names (org_id, id): the key must be in
-- the row's own organization. Deleting a key (only an organization's deletion
-- does) clears just the key column, never org_id (PostgreSQL 15+:
-- ON DELETE SET NULL (column)). test/integration/catalog.test.ts refuses any
-- foreign key into a tenant table that omits org_id.
ALTER TABLE api_keys
  DROP CONSTRAINT api_keys_created_by_key_id_fkey,
  DROP CONSTRAINT api_keys_replaced_by_fkey,
  ADD CONSTRAINT api_keys_created_by_key_fkey FOREIGN KEY (org_id, created_by_key_id)
    REFERENCES api_keys (org_id, id) ON DELETE SET NULL (created_by_key_id),
  ADD CONSTRAINT api_keys_replaced_by_fkey FOREIGN KEY (org_id, replaced_by)
    REFERENCES api_keys (org_id, id) ON DELETE SET NULL (replaced_by);

ALTER TABLE policy_versions
  DROP CONSTRAINT policy_versions_created_by_key_id_fkey,
  DROP CONSTRAINT policy_versions_published_by_key_id_fkey,
  ADD CONSTRAINT policy_versions_created_by_key_fkey FOREIGN KEY (org_id, created_by_key_id)
    REFERENCES api_keys (org_id, id) ON DELETE SET NULL (created_by_key_id),
  ADD CONSTRAINT policy_versions_published_by_key_fkey FOREIGN KEY (org_id, published_by_key_id)
    REFERENCES api_keys (org_id, id) ON DELETE SET NULL (published_by_key_id);

-- migrate:down

ALTER TABLE policy_versions
  DROP CONSTRAINT policy_versions_created_by_key_fkey,
  DROP CONSTRAINT policy_versions_published_by_key_fkey,
  ADD CONSTRAINT policy_versions_created_by_key_id_fkey FOREIGN KEY (created_by_key_id)
    REFERENCES api_keys (id) ON DELETE SET NULL,
  ADD CONSTRAINT policy_versions_published_by_key_id_fkey FOREIGN KEY (published_by_key_id)
    REFERENCES api_keys (id) ON DELETE SET NULL;

ALTER TABLE api_keys
  DROP CONSTRAINT api_keys_created_by_key_fkey,
  DROP CONSTRAINT api_keys_replaced_by_fkey,
  ADD CONSTRAINT api_keys_created_by_key_id_fkey FOREIGN KEY (created_by_key_id)
    REFERENCES api_keys (id) ON DELETE SET NULL,
  ADD CONSTRAINT api_keys_replaced_by_fkey FOREIGN KEY (replaced_by)
    REFERENCES api_keys (id) ON DELETE SET NULL;
