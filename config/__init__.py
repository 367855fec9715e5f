"""Configuration every process shares: settings, logging, the Temporal connection and payload
codec, and the search attributes a namespace needs. Imports only ``domain`` and ``store``'s
migration helper."""
