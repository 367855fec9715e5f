"""Pure rules of the exit scheme: no I/O, no Temporal. Everything here is unit-tested alone."""
