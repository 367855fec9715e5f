-- The caseworkers' usual list (state and rank, newest first) reads exactly one page of entries.
CREATE INDEX cases_state_rank ON cases (state, rank, created_at DESC, case_id DESC);
