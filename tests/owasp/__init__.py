"""One module per OWASP API Security Top 10 (2023) risk, attacking the running app."""
