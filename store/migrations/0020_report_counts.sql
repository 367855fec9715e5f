-- The scheme dashboard counts every case by kind and state. At a million cases a sequential scan
-- reads the whole table (views included, about 2 GB); this index answers it by an index-only
-- scan of a few tens of megabytes (BENCHMARKS.md, "API latency at a million cases").
CREATE INDEX cases_kind_state ON cases (kind, state);
