-- migrate:up

-- PostgreSQL's regular expressions allow at most 255 repetitions ({16,1400}
-- fails at the first insert): the length is checked on its own.
ALTER TABLE webauthn_credentials DROP CONSTRAINT webauthn_credentials_credential_id_check;
ALTER TABLE webauthn_credentials ADD CONSTRAINT webauthn_credentials_credential_id_check
  CHECK (credential_id ~ '^[A-Za-z0-9_-]+$' AND char_length(credential_id) BETWEEN 16 AND 1400);

-- migrate:down
ALTER TABLE webauthn_credentials DROP CONSTRAINT webauthn_credentials_credential_id_check;
ALTER TABLE webauthn_credentials ADD CONSTRAINT webauthn_credentials_credential_id_check
  CHECK (credential_id ~ '^[A-Za-z0-9_-]+$');
