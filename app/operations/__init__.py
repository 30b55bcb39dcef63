"""The operator's tooling: the `therapy-db` command and what it runs (history, checksums,
backups, imports, linking, reconciliation, privacy, diagrams, serve)."""
