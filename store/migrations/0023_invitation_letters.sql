-- The invitation letter (issue 17, item 2): one per invitation, so one per officer and scheme,
-- written by the transaction that records the invitation. It belongs to no case (the officer
-- has not applied), so it is kept apart from `documents`. Append-only, like every letter.
CREATE TABLE invitation_letters (
    scheme            text NOT NULL,
    officer_id        text NOT NULL,
    template_version  text NOT NULL,
    media_type        text NOT NULL,
    sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content           bytea NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (scheme, officer_id),
    FOREIGN KEY (scheme, officer_id) REFERENCES scheme_invitations (scheme, officer_id)
);
CREATE INDEX invitation_letters_officer ON invitation_letters (officer_id);

CREATE TRIGGER invitation_letters_append_only BEFORE UPDATE OR DELETE ON invitation_letters
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER invitation_letters_no_truncate BEFORE TRUNCATE ON invitation_letters
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON invitation_letters FROM exitcases_app;
