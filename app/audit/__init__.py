"""The audit trail: recording changes in the services' transactions, and reading them back."""
