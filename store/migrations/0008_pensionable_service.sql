-- Pensionable service from the force's pension records (issue 14): the days of service on
-- service_as_of. Both or neither; without them service counts from service_start.
ALTER TABLE officers
    ADD COLUMN pensionable_service_days integer CHECK (pensionable_service_days >= 0),
    ADD COLUMN service_as_of date,
    ADD CONSTRAINT officers_pension_record_whole
        CHECK ((pensionable_service_days IS NULL) = (service_as_of IS NULL));
