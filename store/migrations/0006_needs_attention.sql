-- Why a case stopped for a person to look at it (a reason code; never personal data). The
-- HR managers' list reads only open cases that need attention, newest first.
ALTER TABLE cases ADD COLUMN needs_attention text;
CREATE INDEX cases_needs_attention ON cases (created_at DESC, case_id DESC)
    WHERE needs_attention IS NOT NULL AND is_open;
