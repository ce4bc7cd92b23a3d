"""Credits: the ledger, packages and store purchases (contract section 5)."""
