"""Accounts: citizens who register themselves and staff scoped to an agency and a role."""
