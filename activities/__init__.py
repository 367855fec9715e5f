"""Every side effect of a case: database writes, notifications, hand-offs. Each is idempotent."""
