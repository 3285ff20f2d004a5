"""Staff users, roles and permissions, masking of personal data, and the audit trail."""
