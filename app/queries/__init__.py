"""Functions service code calls, one module per context, each taking a Session first."""
