"""The append-only, hash-chained audit trail of state changes and document reads (issue 5, item 7)."""
