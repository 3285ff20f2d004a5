"""The unified customer view (brief §1): customers, certificates, relations, accounts, subscribers."""
